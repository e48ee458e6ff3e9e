"""A real sidecar on a free loopback port (uvicorn in a thread), and a raw HTTP/1.1 client for hostile requests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from adops.sidecar import create_app
from adops.sidecar.hub import Hub
from adops.sidecar.server import Server

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "t0ken-for-tests"


@dataclass
class Live:
    """A running sidecar: its base URL, port, hub and server."""

    url: str
    port: int
    hub: Hub
    server: Server

    def stop(self) -> None:
        self.server.should_exit = True


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADOPS_API_TOKEN", TOKEN)
    monkeypatch.setenv("ADOPS_WEBHOOK_SECRET", SECRET)


@pytest.fixture
def start(secrets: None) -> Iterator[Callable[..., Live]]:
    """start(host=…, hub=…) runs a sidecar on 127.0.0.1 (host is the address the app believes it binds)."""
    running: list[tuple[Live, threading.Thread]] = []

    def _start(host: str = "127.0.0.1", hub: Hub | None = None) -> Live:
        app = create_app(host=host, hub=hub or Hub(poll_s=0.01))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=5
        )
        server = Server(config, app)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test sidecar did not start")
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        live = Live(f"http://127.0.0.1:{port}", port, app.state.hub, server)
        running.append((live, thread))
        return live

    yield _start
    for live, thread in running:
        live.stop()
        thread.join(10)
        assert not thread.is_alive(), "the sidecar did not stop"


def raw_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    chunks: Any = None,
    timeout: float = 20.0,
) -> tuple[int, bytes]:
    """Send a request byte by byte as given (lying Content-Length, chunked bodies) and read the answer.

    `chunks` (an iterable of bytes) are sent with chunked transfer encoding until the server
    answers or closes; the answer's status and body are returned.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if chunks is not None:
            lines.append("Transfer-Encoding: chunked")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if chunks is not None:
            try:
                for chunk in chunks:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    if _readable(sock):
                        break
                else:
                    sock.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed while we were still sending
        return _read_response(sock)
    finally:
        sock.close()


def _readable(sock: socket.socket) -> bool:
    import select

    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            break
        data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        None,
    )
    while length is not None and len(rest) < length:
        part = sock.recv(65536)
        if not part:
            break
        rest += part
    return status, rest


@dataclass
class Frame:
    """One SSE frame: id, event type and JSON data; or a comment (a heartbeat)."""

    id: int | None
    event: str
    data: Any
    comment: str = ""


def frames(lines: Iterator[str]) -> Iterator[Frame]:
    """SSE frames from a stream of lines (httpx's iter_lines), comments included."""
    import json

    current: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            yield Frame(None, "", None, comment=line[1:].strip())
        elif line.startswith(("id:", "event:", "data:")):
            key, _, value = line.partition(":")
            current[key] = value.strip()
        elif not line and "data" in current:
            yield Frame(int(current["id"]), current.get("event", "message"), json.loads(current["data"]))
            current = {}
