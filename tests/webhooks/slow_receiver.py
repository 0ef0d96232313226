"""A webhook receiver that answers one byte at a time (RELIABILITY: "a receiver sending one byte every 5 s")."""

from __future__ import annotations

import select
import socket
import threading

ANSWER_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4096\r\n\r\n"
ANSWER_BODY = b"x" * 4096


class SlowReceiver:
    """A TCP server on 127.0.0.1 that reads the request, then sends its answer one byte every `interval` seconds
    (from the status line on, or with `headers_first` the status line and headers at once, then the body) until
    the client hangs up, which it records in `hung_up`. Each byte alone arrives well within any read timeout."""

    def __init__(self, *, interval: float = 0.5, headers_first: bool = False) -> None:
        self.interval, self.headers_first = interval, headers_first
        self.requests: list[bytes] = []
        self.bytes_sent = 0
        self.hung_up = threading.Event()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="slow-receiver", daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            self.requests.append(self._read_request(connection))
            head, rest = (ANSWER_HEAD, ANSWER_BODY) if self.headers_first else (b"", ANSWER_HEAD + ANSWER_BODY)
            try:
                connection.sendall(head)
                for byte in rest:
                    readable, _, _ = select.select([connection], [], [], self.interval)
                    if self._stop.is_set():
                        return
                    if readable and not connection.recv(1):  # the client closed its side
                        break
                    connection.sendall(bytes([byte]))
                    self.bytes_sent += 1
                else:
                    return  # the whole answer went out: the client never hung up
            except OSError:  # reset by the client
                pass
            self.hung_up.set()

    @staticmethod
    def _read_request(connection: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)
