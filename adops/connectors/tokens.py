"""Rotated OAuth2 tokens, kept in `$ADOPS_HOME/tokens.json` (mode 0600), never in logs or pages.

Platforms that rotate refresh tokens (LinkedIn, Microsoft, Pinterest...) invalidate the old one
when they issue a new one, so the new one must outlive the process that received it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from adops import config
from adops.store import locks


def _path() -> Path:
    return config.home() / "tokens.json"


def load(account_key: str) -> dict[str, Any]:
    try:
        return dict(json.loads(_path().read_text()).get(account_key, {}))
    except FileNotFoundError:
        return {}


def save(account_key: str, values: dict[str, Any]) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with locks.exclusive("tokens", wait=60):
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            data = {}
        data[account_key] = values
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
