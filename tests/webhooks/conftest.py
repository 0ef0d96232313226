"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1 and endpoints pointing at it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.choices import MemberRole, OrganizationKind
from tests.factories import MembershipFactory, OrganizationFactory
from webhooks.models import WebhookEndpoint
from webhooks.signing import generate_secret


@dataclass(frozen=True)
class Captured:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return json.loads(self.body)["id"]


class Receiver:
    """A threaded HTTP server recording every POST; answers the scripted statuses, then `default_status`."""

    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self.statuses: deque[int] = deque()
        self.default_status = 200
        self.delay_seconds = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(Captured(self.path, dict(self.headers.items()), body))
                    status = receiver.statuses.popleft() if receiver.statuses else receiver.default_status
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                answer = b"ok" if status < 300 else b"receiver says no " + b"x" * 2000
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *statuses: int) -> None:
        with self._lock:
            self.statuses.extend(statuses)

    def received_by_event(self) -> Counter:
        """(path, event id) -> how many times it arrived."""
        with self._lock:
            return Counter((request.path, request.event_id) for request in self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def local_delivery(settings):
    """Let deliveries reach the local receiver: http allowed, 127.0.0.1 exempt from the SSRF guard, any port."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_ALLOWED_PORTS = ["*"]
    return settings


@pytest.fixture
def org_a(db):
    return OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口甲大药房有限公司")


@pytest.fixture
def org_b(db):
    return OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="三亚乙医药有限公司")


@pytest.fixture
def owner_a(org_a):
    return MembershipFactory(organization=org_a, role=MemberRole.OWNER, user__email="owner@a.test").user


@pytest.fixture
def make_endpoint(db):
    """make_endpoint(org, url, event_types=[…]) -> an endpoint row written directly (no URL check)."""

    def make(organization, url: str, event_types=("order.placed",), **fields) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            event_types=list(event_types),
            secret=fields.pop("secret", generate_secret()),
            **fields,
        )

    return make


@pytest.fixture
def fake_dns(monkeypatch):
    """fake_dns[name] = [addresses], a callable returning them, or None (NXDOMAIN); other names resolve normally."""
    real = socket.getaddrinfo

    class Table(dict):
        lookups: list[str]

    table = Table()
    table.lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)
        table.lookups.append(host)
        answer = table[host]
        addresses = answer() if callable(answer) else answer
        if addresses is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table
