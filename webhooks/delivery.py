"""The HTTP side of a delivery: one POST to a checked, pinned address (standard library only).

The URL is checked (ssrf.check_url) right before connecting, and the socket connects to the very
address that passed the check while TLS still verifies the certificate for the URL's host name
(SNI and hostname check use `host`). Redirects are not followed: a 3xx is a failed attempt.
Never call this inside a database transaction: it waits on the network.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: ssrf.Target):
        super().__init__(target.host, target.port, timeout=CONNECT_TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.settimeout(READ_TIMEOUT_SECONDS)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: ssrf.Target):
        super().__init__(target.host, target.port, timeout=CONNECT_TIMEOUT_SECONDS, context=_tls_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(READ_TIMEOUT_SECONDS)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()  # verifies the chain and the host name
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def post(*, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST `body` to `url` once; never raises for network trouble, it reports it in the result."""
    started = time.monotonic()

    def result(status_code: int | None, error: str, response_body: str = "", address: str | None = None):
        duration = int((time.monotonic() - started) * 1000)
        return HttpResult(status_code, error[:500], response_body, duration, address)

    try:
        target = ssrf.check_url(url)
    except ssrf.UrlNotAllowed as refused:
        return result(None, f"Not sent (SSRF guard): {refused.reason}")
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target)
    phase = "connecting"
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
        excerpt = response.read(RESPONSE_EXCERPT_BYTES).decode("utf-8", errors="replace")
    except TimeoutError:
        limits = f"connect {CONNECT_TIMEOUT_SECONDS} s, read {READ_TIMEOUT_SECONDS} s"
        return result(None, f"Timed out while {phase} ({limits}).", address=target.address)
    except ssl.SSLError as error:
        return result(None, f"TLS error: {error}", address=target.address)
    except ConnectionRefusedError:
        return result(None, "Connection refused.", address=target.address)
    except (OSError, http.client.HTTPException) as error:
        return result(None, f"Error while {phase}: {error.__class__.__name__}: {error}", address=target.address)
    finally:
        connection.close()
    error = ""
    if 300 <= response.status < 400:
        location = response.getheader("Location", "")
        error = f"Redirects are not followed (HTTP {response.status} to {location[:200]!r}); register the final URL."
    elif not 200 <= response.status < 300:
        error = f"HTTP {response.status} {response.reason}"[:500]
    return result(response.status, error, excerpt, target.address)
