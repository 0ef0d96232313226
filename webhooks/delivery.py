"""The HTTP side of a delivery: one POST to a checked, pinned address (standard library only).

The URL is checked (ssrf.check_url) right before connecting, and the socket connects to the very
address that passed the check while TLS still verifies the certificate for the URL's host name
(SNI and hostname check use `host`). Redirects are not followed: a 3xx is a failed attempt.
Never call this inside a database transaction: it waits on the network.

Every attempt has a total deadline (settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS, 15 s): name lookup, connect,
TLS, sending, the status line, the headers and the body excerpt together. Per-operation timeouts alone do not
bound an attempt, since a receiver trickling one byte every few seconds satisfies each read; so every socket
operation gets min(its own limit, what remains of the deadline), and reads happen through a reader that checks
the deadline before each receive. An attempt cut at the deadline is a failed attempt, retried with backoff.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from webhooks import ssrf

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT_BYTES = 1024
USER_AGENT = "PharmEx-Webhooks/1.0"


@dataclass(frozen=True)
class HttpResult:
    """What one attempt did: the status code (None when no response arrived), an error, a body excerpt."""

    status_code: int | None
    error: str
    response_body: str
    duration_ms: int
    address: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class DeadlineExceeded(TimeoutError):
    """The attempt's total deadline passed before the operation could start."""


class _Deadline:
    """An attempt's total time budget: each socket operation gets min(its own limit, what remains)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds
        self.binding = False  # the last timeout handed out was shortened by the deadline

    def remaining(self) -> float:
        return self._at - time.monotonic()

    def timeout(self, limit: float) -> float:
        """The timeout for the next operation. Raises: DeadlineExceeded when nothing remains."""
        remaining = self.remaining()
        if remaining <= 0:
            self.binding = True
            raise DeadlineExceeded()
        self.binding = remaining < limit
        return min(limit, remaining)


class _DeadlineSocket:
    """The connected (TLS) socket as http.client uses it: sendall, makefile and close, under the deadline.

    Like socket.makefile, the socket stays open until the response reader is closed too: http.client closes
    the connection as soon as the headers say it will not be reused, before the body is read.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline
        self._readers, self._close_requested = 0, False

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.timeout(READ_TIMEOUT_SECONDS))
        self._sock.sendall(data)  # the timeout bounds the whole sendall (Python 3.5+), not each send

    def recv_into(self, buffer) -> int:
        self._sock.settimeout(self._deadline.timeout(READ_TIMEOUT_SECONDS))
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError("only the response is read from this socket")
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._close_requested and not self._readers:
            self._sock.close()

    def close(self) -> None:
        self._close_requested = True
        if not self._readers:
            self._sock.close()


class _DeadlineReader(io.RawIOBase):
    """The response side of the socket under http.client's buffered reader: each receive gets at most what
    remains of the deadline, so a trickle of bytes cannot stretch the status line, the headers or the body."""

    def __init__(self, sock: _DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: ssrf.Target, deadline: _Deadline):
        super().__init__(target.host, target.port)
        self._address, self._deadline = target.address, deadline

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self._deadline.timeout(CONNECT_TIMEOUT_SECONDS))
        self.sock = _DeadlineSocket(sock, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: ssrf.Target, deadline: _Deadline):
        super().__init__(target.host, target.port, context=_tls_context())
        self._address, self._deadline = target.address, deadline

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self._deadline.timeout(CONNECT_TIMEOUT_SECONDS))
        try:
            # The socket timeout bounds the whole handshake (the ssl module counts it as one deadline).
            sock.settimeout(self._deadline.timeout(READ_TIMEOUT_SECONDS))
            tls = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(tls, self._deadline)


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()  # verifies the chain and the host name
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _check_url(url: str, deadline: _Deadline) -> ssrf.Target:
    """ssrf.check_url within the deadline: the name lookup runs in a helper thread, because getaddrinfo takes no
    timeout (a lookup still running at the deadline finishes in the background, bounded by the resolver's own
    timeouts). Raises: ssrf.UrlNotAllowed, DeadlineExceeded."""
    outcome: dict[str, object] = {}

    def check() -> None:
        try:
            outcome["target"] = ssrf.check_url(url)
        except Exception as error:  # handed to the caller
            outcome["error"] = error

    lookup = threading.Thread(target=check, name="webhook-dns", daemon=True)
    lookup.start()
    lookup.join(max(deadline.remaining(), 0))
    if lookup.is_alive():
        deadline.binding = True
        raise DeadlineExceeded()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["target"]


def post(*, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST `body` to `url` once, within the attempt deadline; never raises for network trouble, it reports it
    in the result."""
    started = time.monotonic()
    deadline = _Deadline(settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS)

    def result(status_code: int | None, error: str, response_body: str = "", address: str | None = None):
        duration = int((time.monotonic() - started) * 1000)
        return HttpResult(status_code, error[:500], response_body, duration, address)

    def deadline_error(phase: str, status: int | None) -> str:
        received = f" (HTTP {status} had arrived)" if status is not None else ""
        return f"Deadline exceeded after {deadline.seconds:g} s while {phase}{received}."

    try:
        target = _check_url(url, deadline)
    except ssrf.UrlNotAllowed as refused:
        return result(None, f"Not sent (SSRF guard): {refused.reason}")
    except DeadlineExceeded:
        return result(None, deadline_error("resolving the host name", None))
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, deadline)
    phase, status, response = "connecting", None, None
    try:
        connection.connect()
        phase = "sending the request"
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        phase = "waiting for the response"
        response = connection.getresponse()
        phase, status = "reading the response", response.status
        excerpt = response.read(RESPONSE_EXCERPT_BYTES).decode("utf-8", errors="replace")
    except TimeoutError as error:
        if isinstance(error, DeadlineExceeded) or deadline.binding:
            return result(None, deadline_error(phase, status), address=target.address)
        limits = f"connect {CONNECT_TIMEOUT_SECONDS} s, read {READ_TIMEOUT_SECONDS} s"
        return result(None, f"Timed out while {phase} ({limits}).", address=target.address)
    except ssl.SSLError as error:
        return result(None, f"TLS error: {error}", address=target.address)
    except ConnectionRefusedError:
        return result(None, "Connection refused.", address=target.address)
    except (OSError, http.client.HTTPException) as error:
        return result(None, f"Error while {phase}: {error.__class__.__name__}: {error}", address=target.address)
    finally:
        if response is not None:
            response.close()
        connection.close()
    error = ""
    if 300 <= response.status < 400:
        location = response.getheader("Location", "")
        error = f"Redirects are not followed (HTTP {response.status} to {location[:200]!r}); register the final URL."
    elif not 200 <= response.status < 300:
        error = f"HTTP {response.status} {response.reason}"[:500]
    return result(response.status, error, excerpt, target.address)
