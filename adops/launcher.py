"""`make run`: check the ports, build the demo workspace on first start, then run the sidecar and
Streamlit together.

Stays in the foreground. Each child runs in its own session (process group), so its own children
(the forecast workers of the sidecar, for one) go with it: Ctrl-C or SIGTERM to the launcher stops
every group, with SIGKILL for whatever is still there after a grace period.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

from adops.errors import AdopsError, Conflict

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # .streamlit/config.toml's server.address and `adops serve`'s default host
GRACE_S = 10.0
#: what to change when a port is taken: (process, make variable, launcher option)
SETTINGS = {
    "streamlit": ("Streamlit", "PORT", "--port"),
    "sidecar": ("the sidecar", "SIDECAR_PORT", "--sidecar-port"),
}


class PortBusy(Conflict):
    """A port the launcher needs is taken: exit 1 with one line naming it and the setting to change."""


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="adops-run", description="Run the sidecar and the Streamlit app (make run).")
    parser.add_argument("--port", type=_port, default=8501, help="Streamlit port (make run PORT=…)")
    parser.add_argument(
        "--sidecar-port", type=_port, default=8765, help="sidecar port (make run SIDECAR_PORT=…)"
    )
    args = parser.parse_args(argv)
    if args.port == args.sidecar_port:
        parser.error(f"--port and --sidecar-port are both {args.port}: give them different ports")
    try:
        check_ports({"streamlit": args.port, "sidecar": args.sidecar_port})
        return run(args.port, args.sidecar_port)
    except AdopsError as exc:
        print(f"adops-run: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # Ctrl-C while the demo was being built, before the servers started
        print("adops-run: interrupted", file=sys.stderr)
        return 130


def check_ports(ports: dict[str, int]) -> None:
    """PortBusy naming the first port of `ports` that cannot be bound on HOST, before anything starts."""
    for role, port in ports.items():
        if not port_free(port):
            name, variable, option = SETTINGS[role]
            raise PortBusy(
                f"port {port} ({name}) is already in use on {HOST}; "
                f"choose another with `make run {variable}=<port>` (or {option} <port>)"
            )


def port_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on host:port now (as uvicorn and Streamlit do, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def server_env(port: int, sidecar: str) -> dict[str, str]:
    """Both servers' environment: the sidecar's URL for the app, and the app's own origins, which the
    sidecar lets read /events (CORS) for the live feed, unless ADOPS_APP_ORIGIN is set already."""
    origins = f"http://{HOST}:{port},http://localhost:{port}"
    return {"ADOPS_APP_ORIGIN": origins, **os.environ, "ADOPS_SIDECAR_URL": sidecar}


def run(port: int, sidecar_port: int) -> int:
    """Build the demo if the workspace is empty, start both servers, and wait for a signal or a death."""
    from adops import config, warehouse

    cfg = config.load()
    if not warehouse.snapshot().versions and not cfg.accounts:
        print(f"First start: building the demo workspace in {cfg.home} …", flush=True)
        if subprocess.run([sys.executable, "-m", "adops.cli", "demo"]).returncode != 0:
            print("adops-run: building the demo workspace failed (see above)", file=sys.stderr)
            return 1
        warm_up()
    sidecar = f"http://{HOST}:{sidecar_port}"
    env = server_env(port, sidecar)
    streamlit = Path(sys.executable).parent / "streamlit"
    commands = [
        [sys.executable, "-m", "adops.cli", "serve", "--host", HOST, "--port", str(sidecar_port)],
        [str(streamlit), "run", str(ROOT / "app.py"), "--server.port", str(port), "--server.address", HOST],
    ]
    children: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> NoReturn:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the cleanup short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_groups(children)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for command in commands:  # each in its own session: its workers are stopped with it
        children.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
    print(f"Command center: http://{HOST}:{port}   sidecar: {sidecar}/health", flush=True)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    name, failed = next(
        (n, c) for n, c in zip(("the sidecar", "Streamlit"), children, strict=True) if c.poll() is not None
    )
    print(f"adops-run: {name} stopped (exit {failed.returncode}); stopping the other", file=sys.stderr)
    stop_groups(children)
    return 1


def warm_up() -> None:
    """Queue what the sidecar does after a sync for the demo just built (outside a sync job): the
    Budget page's default response curves, the experiments' winner rule, the anomaly scan and the Forecast page's default forecast."""
    from adops import jobs
    from adops.forecast.jobs import ForecastScope
    from adops.optimize.fits import FitScope

    jobs.enqueue("optimize.fit", FitScope().to_params())
    jobs.enqueue("experiments.decide", {})
    jobs.enqueue("anomalies.scan", {})
    jobs.enqueue("forecast.run", ForecastScope().to_params())  # the Forecast page's default


def stop_groups(children: list[subprocess.Popen[bytes]], grace: float = GRACE_S) -> None:
    """SIGTERM every child's process group, then SIGKILL the groups that outlive the grace period."""
    for child in children:
        _signal_group(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
    for child in children:  # the group outlives its leader when workers linger: they go too
        _signal_group(child.pid, signal.SIGKILL)
        child.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1-65535)")
    return value


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit 2, no usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"adops-run: {message}\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
