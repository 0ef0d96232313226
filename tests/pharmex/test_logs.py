"""Structured logs (issue 18): one JSON object per line in production (time, level, logger, request id, user and
organisation ids where known, message, exception), plain text elsewhere (`make run`)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime

import pytest
from django.test import override_settings

from accounts.choices import MemberRole
from pharmex.context import RequestIdLogFilter
from pharmex.logs import JsonFormatter
from tests.conftest import client_for
from tests.factories import MembershipFactory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "test-only-7Hq2xVb9LmR4tZ8pK3wN6yJ1sD5fG0cX-QeA2uT9oI4rE7wY3pL8"


@pytest.fixture
def captured():
    """The lines the "pharmex.test" logger writes, formatted as production formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("pharmex.test")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.pharmex.log_urls")
def test_a_request_logs_one_json_object_with_who_called(captured):
    # given: a member acting for their organisation, with a request id of their own
    membership = MembershipFactory(role=MemberRole.OPERATOR)
    client = client_for(membership.user, organization_id=membership.organization_id)
    # when
    response = client.get("/logged/", HTTP_X_REQUEST_ID="req-12345678")
    # then: one line, one object, with every field
    assert response.status_code == 200
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry == {
        "time": entry["time"],
        "level": "WARNING",
        "logger": "pharmex.test",
        "request_id": "req-12345678",
        "user_id": membership.user_id,
        "organization_id": membership.organization_id,
        "message": "订单 PX1 已记录",
    }
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0


def test_outside_a_request_the_ids_are_null_and_the_exception_stays_on_its_line(captured):
    try:
        raise ValueError("第一行\n第二行")
    except ValueError:
        logging.getLogger("pharmex.test").exception("任务失败")

    (line,) = captured.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["request_id"] is None and entry["user_id"] is None and entry["organization_id"] is None
    assert entry["level"] == "ERROR" and entry["message"] == "任务失败"
    assert entry["exception"].startswith("Traceback") and "ValueError: 第一行\n第二行" in entry["exception"]


def _log_with(settings_module: str, **env: str) -> subprocess.CompletedProcess:
    script = "import django, logging; django.setup(); logging.getLogger('pharmex.check').warning('启动')"
    inherited = {name: value for name, value in os.environ.items() if name != "LOG_FORMAT"}
    environment = {**inherited, "DJANGO_SETTINGS_MODULE": settings_module, "DJANGO_SECRET_KEY": SECRET, **env}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_production_writes_json_and_make_run_plain_text():
    production = _log_with("pharmex.settings.production")
    local = _log_with("pharmex.settings.local")

    entry = json.loads(production.stderr.strip().splitlines()[-1])
    assert entry["message"] == "启动" and entry["logger"] == "pharmex.check" and entry["level"] == "WARNING"
    plain = local.stderr.strip().splitlines()[-1]
    assert plain.endswith("WARNING pharmex.check - 启动") and not plain.startswith("{")


def test_an_unknown_log_format_is_refused_at_start_up():
    result = _log_with("pharmex.settings.production", LOG_FORMAT="yaml")

    assert result.returncode != 0 and "LOG_FORMAT must be one of plain, json, not 'yaml'." in result.stderr
