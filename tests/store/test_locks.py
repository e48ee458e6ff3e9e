"""Named workspace locks: one holder across threads and processes, released when the holder dies."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adops.errors import Conflict, InputError
from adops.store import locks

HOLDER = textwrap.dedent("""
    import sys, time
    from adops.store import locks
    with locks.exclusive(sys.argv[1]):
        print("held", flush=True)
        time.sleep(600)
""")


@contextmanager
def held_in_thread(name: str) -> Iterator[None]:
    """Hold `name` from another thread for the block."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locks.exclusive(name):
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(30)
    try:
        yield
    finally:
        release.set()
        thread.join(30)


@contextmanager
def held_in_process(name: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, name], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def test_a_held_lock_makes_another_thread_give_up_with_a_conflict(workspace: Path) -> None:
    with held_in_thread("warehouse-write"):
        with (
            pytest.raises(locks.Busy, match="try again") as caught,
            locks.exclusive("warehouse-write", wait=0.3),
        ):
            pass
        assert isinstance(caught.value, Conflict) and caught.value.exit_code == 1
        with locks.exclusive("other-name"):  # other names are independent
            pass
    with locks.exclusive("warehouse-write"):  # free again once released
        assert locks.held("warehouse-write")
    assert not locks.held("warehouse-write")


def test_a_waiting_caller_gets_the_lock_when_it_is_released(workspace: Path) -> None:
    order: list[str] = []
    with held_in_thread("warehouse-write"):
        waiter = threading.Thread(target=lambda: _take("warehouse-write", order))
        waiter.start()
        order.append("holder releases")
    waiter.join(30)
    assert order == ["holder releases", "waiter"]


def _take(name: str, order: list[str]) -> None:
    with locks.exclusive(name, wait=30):
        order.append("waiter")


def test_the_lock_is_reentrant_in_its_own_thread(workspace: Path) -> None:
    with locks.exclusive("warehouse-write"):
        with locks.exclusive("warehouse-write"):  # the demo holds it and runs a sync that takes it
            assert locks.held("warehouse-write")
        assert locks.held("warehouse-write")
    assert not locks.held("warehouse-write")


def test_the_busy_message_is_the_callers(workspace: Path) -> None:
    busy = pytest.raises(locks.Busy, match="^the simulator is busy$")
    with held_in_thread("sandbox"), busy, locks.exclusive("sandbox", busy="the simulator is busy"):
        pass


@pytest.mark.slow
def test_another_process_holds_it_and_a_killed_holder_releases_it(workspace: Path) -> None:
    with held_in_process("warehouse-write") as holder:
        with pytest.raises(locks.Busy), locks.exclusive("warehouse-write", wait=0.2):
            pass
        holder.send_signal(signal.SIGKILL)  # a sync killed with -9: the kernel drops its lock
        holder.wait(30)
        with locks.exclusive("warehouse-write", wait=30):
            pass


@pytest.mark.sqlite_only
def test_lock_files_are_private(workspace: Path) -> None:
    old = os.umask(0o022)
    try:
        with locks.exclusive("tokens"):
            pass
    finally:
        os.umask(old)
    assert locks.backend() == "file"
    assert stat.S_IMODE((workspace / "locks").stat().st_mode) == 0o700
    assert stat.S_IMODE((workspace / "locks" / "tokens.lock").stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["", "../../etc/passwd", "a/b", "UPPER", "x" * 101, "with space", "nul\x00"])
def test_hostile_lock_names_are_refused(workspace: Path, name: str) -> None:
    with pytest.raises(InputError, match="lock name"), locks.exclusive(name):
        pass
    assert not (workspace / "etc").exists()


def test_advisory_keys_are_stable_signed_64_bit_numbers() -> None:
    key = locks.advisory_key("warehouse-write")
    assert key == locks.advisory_key("warehouse-write") != locks.advisory_key("tokens")
    assert -(2**63) <= key < 2**63
