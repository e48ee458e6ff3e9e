"""`make run`: build the demo workspace on first start, then run the sidecar and Streamlit together.

Stays in the foreground; Ctrl-C or SIGTERM stops both children cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adops import config, warehouse

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    cfg = config.load()
    if not warehouse.snapshot().versions and not cfg.accounts:
        print(f"First start: building the demo workspace in {cfg.home} …", flush=True)
        subprocess.run([sys.executable, "-m", "adops.cli", "demo"], check=True)
    bin_dir = Path(sys.executable).parent
    children = [
        subprocess.Popen([str(bin_dir / "adops"), "serve", "--port", "8765"]),
        subprocess.Popen([str(bin_dir / "streamlit"), "run", str(ROOT / "app.py"), "--server.port", "8501"],
                         cwd=ROOT),
    ]
    print("Command center: http://127.0.0.1:8501   sidecar: http://127.0.0.1:8765/health", flush=True)

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
