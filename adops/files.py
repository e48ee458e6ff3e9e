"""Workspace files are private to their owner: folders 0700, files 0600, whatever the umask.

The workspace holds the operational store (events, webhook payloads, the audit log), rotated tokens
and the warehouse: nothing another local user should read. Folders this module creates get 0700
(every missing level, not only the last); the workspace's own subfolders and data files are
tightened when found readable by others. A folder someone chose as ADOPS_HOME that already exists
keeps its mode: it may be shared on purpose (and `chmod` on a path like `/tmp` would do harm).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create `path` (and its missing parents) as 0700; with `tighten`, also an existing one."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it first
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    if tighten and not missing:
        tighten_mode(path)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists with mode 0600 (created empty if missing, tightened if not)."""
    private_dir(path.parent, tighten=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten_mode(path)
    return path


def tighten_mode(path: Path) -> None:
    """Drop group and other permission bits from an existing file or folder."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, mode 0600 (a temp file in the same folder, renamed)."""
    private_dir(path.parent, tighten=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mkstemp creates 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
