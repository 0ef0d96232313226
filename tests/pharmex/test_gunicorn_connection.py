"""What gunicorn says about the connection is what it does (issue 10): a request with a body too large to drain
is answered `Connection: close` and closed; a small one keeps the connection alive (gunicorn.conf.py)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pharmex.settings.test"}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "pharmex.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-k",
            "gthread",
            "--threads",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,  # where gunicorn finds gunicorn.conf.py, as `make run` and the image do
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=30)


def _exchange(sock: socket.socket, request: bytes) -> tuple[str, dict[str, str]]:
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    missing = int(headers.get("content-length", 0)) - len(body)
    while missing > 0:
        missing -= len(sock.recv(65536))
    return status, headers


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_body_too_large_to_drain_is_answered_connection_close_and_closed(server):
    body = b'{"owner": "' + b"x" * 2_000_000 + b'"}'
    with socket.create_connection(("127.0.0.1", server)) as sock:
        request = (
            "POST /api/v1/register/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(request)
        with contextlib.suppress(OSError):  # the server may stop reading once it has answered
            sock.sendall(body)
        status, headers = _exchange(sock, b"")
        assert (status, headers["connection"]) == ("HTTP/1.1 413 Request Entity Too Large", "close")
        assert _closed(sock)


def test_a_small_request_keeps_the_connection_alive(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        first = _exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        second = _exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert [(status, headers["connection"]) for status, headers in (first, second)] == [
        ("HTTP/1.1 200 OK", "keep-alive"),
        ("HTTP/1.1 200 OK", "keep-alive"),
    ]
