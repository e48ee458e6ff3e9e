"""Run every benchmark (or the ones named): `python -m benchmarks [name ...]`."""

from __future__ import annotations

import importlib
import pkgutil
import platform
import sys
import time
from pathlib import Path

import benchmarks


def main(argv: list[str]) -> None:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(benchmarks.__file__).parent)])
        if m.name.startswith("bench_")
    )
    wanted = [n for n in names if not argv or n.removeprefix("bench_") in argv or n in argv]
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}"
    )
    for name in wanted:
        print(f"\n== {name.removeprefix('bench_')}")
        t0 = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"   ({time.perf_counter() - t0:.1f}s)")


if __name__ == "__main__":
    main(sys.argv[1:])
