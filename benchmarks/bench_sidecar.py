"""Sidecar: SSE fan-out latency at 50 and 1,000 clients under 1,000 events/s, and verified webhooks/s.

The sidecar runs in its own process (the app as `adops serve` builds it, without the job
scheduler), SSE clients in a few other processes, the publisher in another: events are POSTed to
/events at the target rate, each stamped with the publisher's monotonic clock (system-wide on
Linux, so comparable across processes), and every client records when each id arrived.
Publish-to-receive is from just before the POST to the read that delivered the event. Lost =
events some client never got. Then one process signs webhooks and posts them as fast as the
sidecar verifies and stores them.

`python -m benchmarks sidecar` (or `make bench`); `python -m benchmarks.bench_sidecar` alone takes
`--clients 50,1000 --rate 1000 --seconds 10`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import uvloop

TOKEN = "bench-token"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ID = re.compile(rb"\nid: (\d+)\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_sidecar")
    parser.add_argument("--clients", default="50,1000")
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--webhook-seconds", type=float, default=5.0)
    args = parser.parse_args(argv or [])
    print(
        f"   load before: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1/5/15 min)"
    )
    with tempfile.TemporaryDirectory(prefix="adops-bench-sidecar-") as home:
        for n in (int(c) for c in args.clients.split(",")):
            with Sidecar(home) as sidecar:
                fan_out(sidecar, n, args.rate, args.seconds, min(args.processes, n))
        with Sidecar(home) as sidecar:
            webhooks_per_second(sidecar, args.webhook_seconds)


# --- the sidecar process ----------------------------------------------------------------------


class Sidecar:
    """The sidecar app (hub, /events, /webhooks) in a child process on a free port."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sidecar:
        env = {
            **os.environ,
            "ADOPS_HOME": self.home,
            "ADOPS_API_TOKEN": TOKEN,
            "ADOPS_WEBHOOK_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_sidecar", "serve", str(self.port)], env=env
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the sidecar did not start")

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        return _cpu_seconds(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def serve(port: int) -> None:
    import logging

    import uvicorn

    from adops.sidecar import create_app
    from adops.sidecar.server import Server

    logging.basicConfig(level=logging.WARNING)
    app = create_app(freeze_heap=True)  # as `adops serve` does
    Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False), app).run()


# --- SSE fan-out ------------------------------------------------------------------------------


def fan_out(sidecar: Sidecar, clients: int, rate: float, seconds: float, processes: int) -> None:
    from adops.sidecar.hub import flush_interval

    ctx = mp.get_context("spawn")
    out = Path(sidecar.home) / f"sse-{clients}"
    out.mkdir(exist_ok=True)
    ready = ctx.Barrier(processes + 1)
    stop = ctx.Event()
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = [
        ctx.Process(target=_clients_process, args=(sidecar.port, n, str(out / f"c{i}.npy"), ready, stop))
        for i, n in enumerate(shares)
    ]
    for w in workers:
        w.start()
    ready.wait(timeout=300)
    time.sleep(1.0)
    cpu_idle0 = sidecar.cpu_seconds()
    time.sleep(2.0)
    idle_cpu = (sidecar.cpu_seconds() - cpu_idle0) / 2.0
    cpu0, clients_cpu0 = sidecar.cpu_seconds(), sum(_cpu_seconds(w.pid) for w in workers)
    hub0 = _hub_stats(sidecar.port)
    sent, took, post_lat = uvloop.run(_publish(sidecar.port, rate, seconds))
    hub1 = _hub_stats(sidecar.port)
    cpu = (sidecar.cpu_seconds() - cpu0) / took
    clients_cpu = (sum(_cpu_seconds(w.pid) for w in workers) - clients_cpu0) / took
    time.sleep(2.0)  # let the last events arrive
    stop.set()
    for w in workers:
        w.join(60)
    published = {int(i): t for i, t in sent}
    records = np.concatenate([np.load(out / f"c{i}.npy") for i in range(processes)])
    lat, lost = _latencies(records, published, clients)
    print(
        f"   {clients:>5,} SSE clients ({processes} processes), target {rate:,.0f} ev/s for {seconds:.0f}s: "
        f"sent {len(published):,} ({len(published) / took:,.0f}/s), delivered {lat.size:,} of "
        f"{len(published) * clients:,}, lost {lost:,}; publish-to-receive p50 {np.percentile(lat, 50):.1f} ms, "
        f"p99 {np.percentile(lat, 99):.1f} ms, max {lat.max():.1f} ms; POST p50 {np.percentile(post_lat, 50):.1f} ms; "
        f"sidecar CPU {cpu:.0%} of a core (idle with the clients connected: {idle_cpu:.0%}); "
        f"client processes {clients_cpu:.0%}; load after {os.getloadavg()[0]:.1f}"
    )
    flushes = hub1["flushes"] - hub0["flushes"]
    print(
        f"         hub: {flushes / took:,.0f} flushes/s (flush interval {flush_interval(clients) * 1000:.0f} ms), "
        f"each handing out a batch to every client in {(hub1['flush_ms_total'] - hub0['flush_ms_total']) / max(flushes, 1):.1f} ms "
        f"on average ({hub1['flush_ms_max']:.1f} ms at most since start)"
    )


def _latencies(records: np.ndarray, published: dict[int, float], clients: int) -> tuple[np.ndarray, int]:
    """Per delivery: receive time minus publish time, in ms; and how many deliveries are missing.

    A record is one read of one client: (client, time, first id, last id, ids in it); the ids of
    a read are consecutive (every client takes every event), which the count checks.
    """
    ids = np.fromiter(published, dtype=np.int64)
    times = np.fromiter(published.values(), dtype=np.float64)
    order = np.argsort(ids)
    ids, times = ids[order], times[order]
    t_recv, first, last, count = (
        records[:, 1],
        records[:, 2].astype(np.int64),
        records[:, 3].astype(np.int64),
        records[:, 4],
    )
    span = last - first + 1
    if not np.array_equal(span, count):
        raise AssertionError("a client got ids out of order or with gaps inside one read")
    starts = np.repeat(first - np.concatenate(([0], np.cumsum(span)[:-1])), span)
    event = starts + np.arange(int(span.sum()))
    t_event = np.repeat(t_recv, span)
    pos = np.clip(np.searchsorted(ids, event), 0, len(ids) - 1)
    known = ids[pos] == event
    lat = (t_event[known] - times[pos[known]]) * 1000.0
    lost = len(ids) * clients - int(known.sum())
    return lat, lost


def _clients_process(port: int, n: int, out: str, ready: Any, stop: Any) -> None:
    gc.disable()  # a load generator: a full collection over its records would stall every stream it reads
    np.save(out, _clients(port, n, ready, stop))


def _clients(port: int, n: int, ready: Any, stop: Any) -> np.ndarray:
    """n raw sockets on one epoll loop: per read, the receive time, first and last id, and the count.

    Plain non-blocking sockets (no asyncio streams) so that reading 10 M frames costs the load
    generator as little as possible; only the ids are parsed, which is all the check needs.
    """
    base = os.getpid() * 10_000
    rows: list[tuple[int, float, int, int, int]] = []
    selector = selectors.EpollSelector()
    socks: list[socket.socket] = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        socks.append(sock)
    tails: list[bytes] = []
    for k, sock in enumerate(socks):  # the answer's head, then whatever came with it
        head = b""
        while b"\r\n\r\n" not in head:
            part = sock.recv(65536)
            assert part, "the sidecar closed a stream before answering"
            head += part
        status, _, rest = head.partition(b"\r\n\r\n")
        assert b" 200 " in status.split(b"\r\n", 1)[0], status[:100]
        assert rest.count(b"\nid: ") == 0, "an event arrived before the publisher started"
        tails.append(rest)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, k)
    ready.wait(300)
    monotonic, find, rfind = time.monotonic, ID.search, ID.match
    checked = monotonic()
    while True:
        for key, _ in selector.select(0.1):
            k = key.data
            try:
                data = key.fileobj.recv(1 << 16)  # type: ignore[union-attr]  (1 MB buffers cost an mmap each)
            except BlockingIOError:
                continue
            now = monotonic()
            if not data:
                selector.unregister(key.fileobj)
                continue
            buf = tails[k] + data
            cut = buf.rfind(b"\n\n")
            if cut < 0:
                tails[k] = buf
                continue
            tails[k] = buf[cut:]
            count = buf.count(b"\nid: ", 0, cut)
            if count:  # first and last id, and how many: the ids between are checked consecutive later
                first = find(buf, 0, cut + 2)
                last = rfind(buf, buf.rfind(b"\nid: ", 0, cut))
                assert first is not None and last is not None
                rows.append((base + k, now, int(first.group(1)), int(last.group(1)), count))
        if monotonic() - checked > 0.1:
            checked = monotonic()
            if stop.is_set():
                break
    for sock in socks:
        sock.close()
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


async def _publish(port: int, rate: float, seconds: float, connections: int = 16) -> tuple[list, float, list]:
    """POST events at `rate` per second over keep-alive connections; (id, t_publish) pairs, elapsed, POST ms."""
    total = int(rate * seconds)
    ticks: asyncio.Queue[int | None] = asyncio.Queue()
    sent: list[tuple[int, float]] = []
    post_ms: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (k := await ticks.get()) is not None:
            t = time.monotonic()
            body = json.dumps({"type": "bench.tick", "data": {"k": k, "t": t}}).encode()
            writer.write(
                b"POST /events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            answer = await reader.readexactly(length)
            post_ms.append((time.monotonic() - t) * 1000)
            sent.append((json.loads(answer)["id"], t))
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    t0 = time.monotonic()
    for k in range(total):
        delay = t0 + k / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        ticks.put_nowait(k)
    for _ in workers:
        ticks.put_nowait(None)
    await asyncio.gather(*workers)
    return sent, time.monotonic() - t0, post_ms


# --- webhooks ---------------------------------------------------------------------------------


def webhooks_per_second(sidecar: Sidecar, seconds: float, connections: int = 16) -> None:
    from adops.sidecar.webhooks import sign

    stamp = int(time.time())
    body = json.dumps({"campaign": "42", "status": "PAUSED", "budget": 125.5}).encode()
    n = int(4000 * seconds)
    requests = [
        b"POST /webhooks/meta HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        + f"webhook-id: msg_{i}\r\nwebhook-timestamp: {stamp}\r\n".encode()
        + f"webhook-signature: {sign(SECRET, f'msg_{i}', stamp, body)}\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
        for i in range(n)
    ]
    cpu0 = sidecar.cpu_seconds()
    accepted, other, took = uvloop.run(_fire(sidecar.port, requests, seconds, connections))
    cpu = (sidecar.cpu_seconds() - cpu0) / took
    print(
        f"   incoming webhooks (Standard Webhooks verified, receipt + event stored before the 202), "
        f"{connections} connections: {accepted:,} accepted in {took:.1f}s = {accepted / took:,.0f}/s "
        f"({other} other answers); sidecar CPU {cpu:.0%} of a core"
    )


async def _fire(port: int, requests: list[bytes], seconds: float, connections: int) -> tuple[int, int, float]:
    it = iter(requests)
    accepted = other = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal accepted, other
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in it:
            if time.monotonic() > deadline:
                break
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 202"):
                accepted += 1
            else:
                other += 1
        writer.close()

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return accepted, other, time.monotonic() - t0


def _hub_stats(port: int) -> dict[str, Any]:
    """The sidecar hub's counters, from /health."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        answer = b""
        while part := sock.recv(65536):
            answer += part
    return dict(json.loads(answer.partition(b"\r\n\r\n")[2])["events"])


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
