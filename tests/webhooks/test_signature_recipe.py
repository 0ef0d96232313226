"""The API guide's signature recipes (Python, openssl, curl) work on a real captured delivery."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from webhooks.models import WebhookDelivery
from webhooks.services import outbox_publish, webhook_deliver

GUIDE = Path(settings.BASE_DIR) / "api_docs" / "guide" / "webhooks.md"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_delivery")]


def guide_block(marker: str) -> str:
    """The fenced code block right after `<!-- marker … -->` in the webhooks guide."""
    match = re.search(rf"<!-- {marker}\b.*?-->\s*```\w+\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    assert match, f"no {marker} block in {GUIDE.name}"
    return match.group(1)


@pytest.fixture
def captured(org_a, receiver, make_endpoint):
    """(secret, PharmEx-Signature header, raw body) of a real delivery, with Chinese text in the payload."""
    endpoint = make_endpoint(org_a, receiver.url(), ["recall.issued"])
    outbox_publish(
        event_type="recall.issued",
        organization_ids=[org_a.pk],
        payload={"drug": "阿莫西林胶囊", "lots": ["A2311"], "level": "II"},
        object_type="recall",
        object_id=3,
    )
    webhook_deliver(delivery_id=WebhookDelivery.objects.get().pk)
    [request] = receiver.requests
    return endpoint.secret, request.headers["PharmEx-Signature"], request.body


def test_python_recipe_verifies_a_real_delivery(captured):
    # given: the guide's Python function
    namespace: dict = {}
    exec(compile(guide_block("verify-python"), "webhooks.md", "exec"), namespace)  # noqa: S102
    verify = namespace["verify_pharmex_signature"]
    secret, header, body = captured

    # then: it accepts the delivery and rejects a tampered body, a wrong secret and a stale timestamp
    assert verify(secret, header, body) is True
    assert verify(secret, header, body.replace(b"II", b"I")) is False
    assert verify("whsec_someone-else", header, body) is False
    assert verify(secret, header, body, tolerance=-1) is False


def test_shell_recipe_verifies_a_real_delivery(captured, tmp_path):
    secret, header, body = captured
    script = guide_block("verify-shell")

    def run(raw: bytes) -> str:
        (tmp_path / "body.json").write_bytes(raw)
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "SECRET": secret, "HEADER": header},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout.strip()

    assert run(body) == "valid"
    assert run(body + b" ") == "INVALID"


def test_curl_recipe_sends_a_request_the_python_recipe_accepts(captured, receiver, tmp_path):
    # given: the captured body, re-signed and sent with the guide's curl command
    secret, _, body = captured
    (tmp_path / "body.json").write_bytes(body)
    namespace: dict = {}
    exec(compile(guide_block("verify-python"), "webhooks.md", "exec"), namespace)  # noqa: S102

    # when
    result = subprocess.run(
        ["bash", "-c", guide_block("send-curl")],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "SECRET": secret, "URL": receiver.url("/mine")},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    # then
    assert result.stdout.strip() == "200"
    sent = receiver.requests[-1]
    assert (sent.path, sent.body) == ("/mine", body)
    assert namespace["verify_pharmex_signature"](secret, sent.headers["PharmEx-Signature"], sent.body) is True
