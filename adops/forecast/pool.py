"""A process pool for forecasting that a long-lived process starts once and keeps.

Building a pool costs more than many fits: each worker imports pandas, statsmodels and Prophet
(seconds on a loaded machine). `adops serve` asks for one (`keep()`): its first forecast job starts
the pool and every later one (after each sync) finds warm workers that still hold the Prophet
models they fitted. `warm()` starts it at once. Without a kept pool (a CLI call, a notebook, a test) `forecast_many` uses a pool of its own
for the call (`scoped()`), which ends with it: nothing outlives the caller's work unasked.

Workers start by `fork` when this process has one thread (they inherit the imports), else from a
`forkserver` with the heavy imports preloaded (forking a threaded process such as Streamlit or the
sidecar can deadlock). A pool whose worker died (killed, out of memory) is replaced on the next call.
"""

from __future__ import annotations

import atexit
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_size = 0
_keep = False
_PRELOAD = [
    "adops.forecast.core",
    "adops.forecast.prophet_model",
    "prophet",
    "statsmodels.tsa.exponential_smoothing.ets",
]


def cores() -> int:
    """The processes a forecast may use: one per core."""
    return max(1, os.cpu_count() or 1)


def keep() -> None:
    """From now on this process keeps its forecast pool: the first forecast starts it, the rest reuse it."""
    global _keep
    _keep = True


def keeping() -> bool:
    """Whether this process keeps a pool (`keep()` or `warm()` was called)."""
    return _keep


def kept() -> ProcessPoolExecutor | None:
    """The process's kept pool when one was started (`warm`) and still works, else None."""
    with _lock:
        return _pool if _pool is not None and not _broken(_pool) else None


def scoped(workers: int) -> ProcessPoolExecutor:
    """A pool for one call (use it as a context manager), when the process keeps none."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=context())


def get(workers: int | None = None) -> ProcessPoolExecutor:
    """The process's kept pool (at least `workers` processes, one per core by default), started if needed."""
    global _pool, _size, _keep
    _keep = True
    want = max(1, workers or cores())
    with _lock:
        if _pool is not None and (_broken(_pool) or _size < want):
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=want, mp_context=context())
            _size = want
        return _pool


def discard() -> None:
    """Drop the pool (a task found it broken); the next `get` builds a new one."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def warm(workers: int | None = None) -> None:
    """Start the pool's workers now (the sidecar calls this when its job worker starts)."""
    pool = get(workers)
    for future in [pool.submit(_ready) for _ in range(_size)]:
        future.result()


def shutdown() -> None:
    """Stop the kept pool and keep none (at exit): queued work is cancelled, the workers end when they
    see it."""
    global _pool, _keep
    _keep = False
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def context() -> BaseContext:
    """fork from a single-threaded process (workers inherit the imports), else a preloaded forkserver."""
    if threading.active_count() == 1 and "fork" in get_all_start_methods():
        return get_context("fork")
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ctx


def _broken(pool: ProcessPoolExecutor) -> bool:
    return bool(getattr(pool, "_broken", False))


def _ready() -> bool:
    """Load the models' imports in a worker (the tasks then start at once)."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    from adops.forecast import prophet_model

    prophet_model.quiet()
    return True


atexit.register(shutdown)
