"""Outgoing webhooks: signed deliveries per second to a local receiver, through the whole path.

A temporary workspace with one endpoint (the receiver, allow-listed on loopback); N events are
stored, then the dispatcher plans one delivery per event, starts each one's DBOS workflow (as the
sidecar does: DBOS launched in this process on its own SQLite file, WAL) and every workflow signs
and POSTs its event and records the answer. Measured from the first dispatcher pass to the last
delivery recorded `delivered`. Every delivery here is answered 204, so each is the dispatcher's
first attempt (a delivery gets its DBOS workflow only when it must be retried). The receiver is a small ASGI app on uvicorn in another process.

`python -m benchmarks deliveries` (or `make bench`); alone: `python -m benchmarks.bench_deliveries --events 2000`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RECEIVER = """
import sys, uvicorn
count = 0
async def app(scope, receive, send):
    global count
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    count += 1
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_deliveries")
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args(argv if argv is not None else [])
    port = _free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    home = Path(tempfile.mkdtemp(prefix="adops-bench-deliveries-"))
    try:
        _wait_port(port)
        os.environ["ADOPS_HOME"] = str(home)
        os.environ["ADOPS_BENCH_OUT_SECRET"] = SECRET
        (home / "adops.toml").write_text(
            f'[[webhooks.endpoints]]\nurl = "http://127.0.0.1:{port}/hook"\nevents = ["*"]\n'
            'secret = "env:ADOPS_BENCH_OUT_SECRET"\n[webhooks]\nallow_hosts = ["127.0.0.1"]\n'
        )
        seconds, delivered = asyncio.run(_run(args.events))
        load = os.getloadavg()
        print(
            f"   {delivered} deliveries in {seconds:.2f} s: {delivered / seconds:,.0f} deliveries/s "
            f"(target >= 200/s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
    finally:
        receiver.terminate()
        receiver.wait(10)


async def _run(n: int) -> tuple[float, int]:
    from dbos import DBOS
    from sqlalchemy import func, select

    from adops import store
    from adops.jobs import system
    from adops.notify.dispatcher import Dispatcher
    from adops.store.models import Event, WebhookDelivery

    url = system.url()
    system.migrate(url)
    DBOS(config=system.dbos_config(url))  # type: ignore[arg-type]
    await asyncio.to_thread(DBOS.launch)
    engine = store.engine()
    dispatcher = Dispatcher(poll_s=0.05)
    await dispatcher.start(background=False)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            Event.__table__.insert(),
            [
                {"type": "bench.event", "data": {"n": i, "severity": "info"}, "created_at": now}
                for i in range(n)
            ],
        )
    t0 = time.perf_counter()
    await dispatcher.start()  # the background loop, as in the sidecar
    while True:
        await asyncio.sleep(0.1)
        with engine.connect() as conn:
            done = conn.scalar(select(func.count()).where(WebhookDelivery.status == "delivered")) or 0
        if done >= n:
            break
        if time.perf_counter() - t0 > 300:
            break
    seconds = time.perf_counter() - t0
    await dispatcher.stop()
    await asyncio.to_thread(DBOS.destroy, workflow_completion_timeout_sec=0)
    return seconds, int(done)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the receiver did not start")


if __name__ == "__main__":
    main(sys.argv[1:])
