"""The total attempt deadline: a receiver that trickles its answer, or a name that never resolves, is cut at
WEBHOOK_ATTEMPT_DEADLINE_SECONDS; the attempt is a failed one and is retried with backoff (issue 10, item 7).

No assertion here depends on the machine's speed: the deadline is a lower bound on an attempt's duration by
construction, and the upper bounds are safety nets ten times the deadline.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.checks import Error

from webhooks import checks
from webhooks import delivery as http
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import outbox_publish, webhook_deliver
from webhooks.services.deliveries import CLAIM_LEASE
from webhooks.tasks import webhook_deliver_task

from .slow_receiver import SlowReceiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_delivery")]

DEADLINE = 2


@pytest.fixture
def short_deadline(settings):
    settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS = DEADLINE
    return DEADLINE


@pytest.fixture
def trickler():
    """Sends the status line one byte every half second: each read gets a byte long before the read timeout."""
    server = SlowReceiver(interval=0.5)
    yield server
    server.stop()


@pytest.fixture
def body_trickler():
    """Sends status line and headers at once, then the body one byte every half second."""
    server = SlowReceiver(interval=0.5, headers_first=True)
    yield server
    server.stop()


def pending_delivery(org, make_endpoint, url: str) -> WebhookDelivery:
    make_endpoint(org, url)
    [event] = outbox_publish(
        event_type="order.placed", organization_ids=[org.pk], payload={"order_id": 1}, object_type="order", object_id=1
    )
    return WebhookDelivery.objects.get(event=event)


def test_a_receiver_trickling_its_status_line_is_cut_at_the_deadline(org_a, make_endpoint, trickler, short_deadline):
    # given
    delivery = pending_delivery(org_a, make_endpoint, trickler.url())

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then: a failed attempt with the deadline error, made after the whole deadline and nowhere near forever
    message = "Deadline exceeded after 2 s while waiting for the response."
    assert (attempt.status_code, attempt.succeeded, attempt.error, attempt.ip) == (None, False, message, "127.0.0.1")
    assert DEADLINE * 1000 <= attempt.duration_ms < 10 * DEADLINE * 1000
    # and the receiver got the request, had sent some bytes of its answer, and saw the connection closed
    assert len(trickler.requests) == 1 and trickler.requests[0].startswith(b"POST /hook HTTP/1.1\r\n")
    assert trickler.hung_up.wait(timeout=10 * DEADLINE)
    assert 0 < trickler.bytes_sent < len(b"HTTP/1.1 200 OK\r\n")
    # and the delivery is retried with the usual backoff
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.PENDING,
        1,
        None,
        message,
    )
    assert delivery.claim_token is None
    assert 30 <= (delivery.next_attempt_at - attempt.attempted_at).total_seconds() <= 33 + 10 * DEADLINE


def test_a_receiver_trickling_its_body_is_cut_at_the_deadline(org_a, make_endpoint, body_trickler, short_deadline):
    # given: the receiver answers 200 at once, then sends the body one byte at a time
    delivery = pending_delivery(org_a, make_endpoint, body_trickler.url())

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then: the excerpt is not waited for past the deadline; the attempt failed (its answer never completed)
    assert (attempt.status_code, attempt.succeeded, attempt.error) == (
        None,
        False,
        "Deadline exceeded after 2 s while reading the response (HTTP 200 had arrived).",
    )
    assert DEADLINE * 1000 <= attempt.duration_ms < 10 * DEADLINE * 1000
    assert body_trickler.hung_up.wait(timeout=10 * DEADLINE)
    assert 0 < body_trickler.bytes_sent < http.RESPONSE_EXCERPT_BYTES
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)


def test_a_name_that_does_not_resolve_in_time_is_cut_at_the_deadline(
    org_a, make_endpoint, trickler, short_deadline, fake_dns
):
    # given: the receiver's name resolves only when the test lets it (after the attempt)
    release = threading.Event()
    fake_dns["hooks.slow-dns.example"] = lambda: release.wait(60) and ["127.0.0.1"]
    delivery = pending_delivery(org_a, make_endpoint, f"http://hooks.slow-dns.example:{trickler.port}/hook")

    # when
    try:
        attempt = webhook_deliver(delivery_id=delivery.pk)
    finally:
        release.set()

    # then: nothing was sent, the attempt failed at the deadline and will be retried
    assert (attempt.status_code, attempt.error, attempt.ip) == (
        None,
        "Deadline exceeded after 2 s while resolving the host name.",
        None,
    )
    assert DEADLINE * 1000 <= attempt.duration_ms < 10 * DEADLINE * 1000
    assert fake_dns.lookups == ["hooks.slow-dns.example"]
    assert trickler.requests == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)


def test_a_slow_but_complete_answer_within_the_deadline_succeeds(org_a, make_endpoint, receiver, short_deadline):
    # given: a receiver that takes half a second, well inside the 2 s deadline
    receiver.delay_seconds = 0.5
    delivery = pending_delivery(org_a, make_endpoint, receiver.url())

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then
    assert (attempt.status_code, attempt.succeeded, attempt.error, attempt.response_body) == (200, True, "", "ok")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_the_deadline_cuts_a_connection_that_never_answers(short_deadline):
    # given: a listening socket that accepts the connection (the kernel does) but never answers
    with socket.create_server(("127.0.0.1", 0)) as silent:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"

        # when: the read timeout alone (10 s) would wait longer than the deadline
        result = http.post(url=url, body=b"{}", headers={})

    # then
    assert (result.status_code, result.error) == (None, "Deadline exceeded after 2 s while waiting for the response.")
    assert DEADLINE * 1000 <= result.duration_ms < 10 * DEADLINE * 1000


@pytest.fixture
def tls_certificate(tmp_path, monkeypatch, fake_dns):
    """A self-signed certificate for hooks.tls.test (resolving to 127.0.0.1), trusted by the sender."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hooks.tls.test"]
    names = ["-addext", "subjectAltName=DNS:hooks.tls.test"]
    subprocess.run([*request, *names, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    fake_dns["hooks.tls.test"] = ["127.0.0.1"]

    def trusting_context() -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(cert))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    monkeypatch.setattr(http, "_tls_context", trusting_context)
    return cert, key


def test_an_https_delivery_goes_through_the_deadline_socket(tls_certificate, short_deadline):
    # given: an HTTPS receiver that answers at once
    cert, key = tls_certificate

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # when
        result = http.post(url=f"https://hooks.tls.test:{server.server_address[1]}/hook", body=b"{}", headers={})
    finally:
        server.shutdown()
        server.server_close()

    # then
    assert (result.status_code, result.error, result.address) == (204, "", "127.0.0.1")


def test_a_tls_handshake_that_never_ends_is_cut_at_the_deadline(tls_certificate, short_deadline):
    # given: the port accepts the connection but never answers the TLS hello
    with socket.create_server(("127.0.0.1", 0)) as silent:
        # when
        result = http.post(url=f"https://hooks.tls.test:{silent.getsockname()[1]}/hook", body=b"{}", headers={})

    # then
    assert (result.status_code, result.error) == (None, "Deadline exceeded after 2 s while connecting.")
    assert DEADLINE * 1000 <= result.duration_ms < 10 * DEADLINE * 1000


def test_task_time_limits_leave_room_around_the_deadline_and_stay_inside_the_claim_lease(settings):
    # the defaults: a 15 s attempt, then the claim and the record around it
    assert settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS == 15
    assert (webhook_deliver_task.soft_time_limit, webhook_deliver_task.time_limit) == (45, 60)
    # the largest allowed deadline still ends every attempt well inside the claim lease
    largest = checks.MAX_ATTEMPT_DEADLINE_SECONDS + 30 + 15
    assert largest < CLAIM_LEASE.total_seconds()


@pytest.mark.parametrize("seconds", [0, 121])
def test_an_out_of_range_deadline_fails_the_system_check(settings, seconds):
    settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS = seconds

    assert checks.webhook_settings_check(None) == [
        Error(
            "WEBHOOK_ATTEMPT_DEADLINE_SECONDS must be between 1 and 120.",
            hint="An attempt must end well within the 5-minute claim lease, or a second worker could repeat it.",
            id="webhooks.E003",
        )
    ]


def test_each_operation_gets_what_remains_of_the_deadline():
    # a unit view of the budget: each operation gets min(its limit, what remains), then nothing
    deadline = http._Deadline(0.05)
    assert deadline.timeout(10) <= 0.05 and deadline.binding
    assert deadline.timeout(0.001) == 0.001 and not deadline.binding
    while deadline.remaining() > 0:
        threading.Event().wait(0.01)
    with pytest.raises(http.DeadlineExceeded):
        deadline.timeout(10)
    assert deadline.binding
