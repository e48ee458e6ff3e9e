"""`make run`: build the demo workspace on first start, then run the sidecar and Streamlit together.

Stays in the foreground; Ctrl-C or SIGTERM stops both children cleanly.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adops import config, warehouse

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="adops-run", description=__doc__)
    parser.add_argument("--port", type=int, default=8501, help="Streamlit port")
    parser.add_argument("--sidecar-port", type=int, default=8765, help="sidecar port")
    args = parser.parse_args(argv)
    cfg = config.load()
    if not warehouse.snapshot().versions and not cfg.accounts:
        print(f"First start: building the demo workspace in {cfg.home} …", flush=True)
        subprocess.run([sys.executable, "-m", "adops.cli", "demo"], check=True)
    bin_dir = Path(sys.executable).parent
    sidecar = f"http://127.0.0.1:{args.sidecar_port}"
    env = {**os.environ, "ADOPS_SIDECAR_URL": sidecar}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "adops.cli", "serve", "--port", str(args.sidecar_port)], env=env
        ),
        subprocess.Popen(
            [str(bin_dir / "streamlit"), "run", str(ROOT / "app.py"), "--server.port", str(args.port)],
            cwd=ROOT,
            env=env,
        ),
    ]
    print(f"Command center: http://127.0.0.1:{args.port}   sidecar: {sidecar}/health", flush=True)

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    failed = next(c for c in children if c.poll() is not None)
    print(f"a process stopped (exit {failed.returncode}); stopping the other", file=sys.stderr)
    stop()
    return 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
