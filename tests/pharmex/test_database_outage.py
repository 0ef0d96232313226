"""The database goes away mid-run (RELIABILITY §10): the API answers 503 problem+json with Retry-After, and the
next request after it is back succeeds.

The application reaches PostgreSQL through a TCP relay the test owns; closing the relay is the outage, seen by
the application exactly as a stopped or unreachable server (connection refused, connections cut).
"""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from django.db import connection

from accounts.choices import MemberRole
from tests.conftest import client_for
from tests.factories import MembershipFactory


class Relay:
    """A TCP relay from a local port to the database server that can be switched off and on."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets = []

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def relayed_database(transactional_db):
    settings = connection.settings_dict
    upstream = (settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    assert not upstream[0].startswith("/"), "the suite reaches PostgreSQL over TCP (DATABASE_URL or embedded)"
    relay = Relay(upstream)
    relay.start()
    original = settings["HOST"], settings["PORT"]
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", str(relay.port)
    yield relay
    connection.close()
    settings["HOST"], settings["PORT"] = original
    relay.stop()


def test_an_unreachable_database_is_a_503_and_the_api_recovers(relayed_database):
    # given: a signed-in person, the database reached through the relay
    client = client_for(MembershipFactory(role=MemberRole.VIEWER).user)
    assert client.get("/api/v1/me/").status_code == 200

    # when: the database goes away
    relayed_database.stop()
    connection.close()
    response = client.get("/api/v1/me/")

    # then: 503 problem+json with Retry-After, no traceback
    assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (
        503,
        "application/problem+json",
        "5",
    )
    assert response.json() == {
        "type": "https://pharmex.example/problems/service-unavailable",
        "title": "The service is unavailable",
        "status": 503,
        "detail": "The database is not reachable right now; retry in a few seconds.",
    }
    assert client.get("/admin/login/").status_code in (200, 503)  # plain views answer 503 too, never 500

    # when it is back, the next request succeeds
    relayed_database.start()
    assert client.get("/api/v1/me/").status_code == 200
