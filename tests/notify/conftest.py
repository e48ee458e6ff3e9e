"""Fixtures for outgoing webhooks and notifications: a local receiver, an event loop in a thread, DBOS.

The receiver answers from a script (a list of (status, headers, body)), records every request,
and by default answers 204. The loop thread runs the dispatcher and the workflows it starts, as
the sidecar's uvicorn loop would; stopping it without cancelling anything is what a crash looks like.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a test key (base64 of 24 bytes)


@dataclass
class Receiver:
    """A local HTTP server for outgoing webhooks, Slack or Discord."""

    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    default: tuple[int, dict[str, str], bytes] = (204, {}, b"")
    handler: Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]] | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests]


def _start(receiver: Receiver) -> None:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            request = {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
                "at": time.time(),
            }
            with lock:
                receiver.requests.append(request)
                if receiver.handler is not None:
                    answer = receiver.handler(request)
                else:
                    answer = receiver.script.pop(0) if receiver.script else receiver.default
            status, headers, payload = answer
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    _start(r)
    yield r
    assert r.server is not None
    r.server.shutdown()
    r.server.server_close()


class LoopThread:
    """An asyncio loop in a thread: `run(coro)` waits for a result; `crash()` stops it mid-work."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def crash(self) -> None:
        """Stop the loop where it is: nothing is cancelled or cleaned up (like kill -9)."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    if lt.thread.is_alive():
        lt.crash()


@pytest.fixture
def dbos(workspace: Path) -> Iterator[None]:
    """DBOS launched for this test's workspace (the delivery workflows registered), stopped after:
    left running, its threads make later forecasts start their workers through the fork server."""
    from adops.notify import deliveries, notifications  # noqa: F401
    from tests.jobs import support

    support.launch()
    yield
    support.stop()


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(text)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
