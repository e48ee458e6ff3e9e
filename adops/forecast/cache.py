"""An on-disk cache of fitted forecasts: one JSON file per series and data version.

Each entry holds the chosen method, its backtests, the interval calibration and, for Prophet, the
fitted model (`prophet.serialize.model_to_json`), so a hit forecasts without any refit. The key is
the series name plus a digest of its data and of the settings; a new version of a series replaces
the old file, so the cache holds one entry per series and settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any


class ModelCache:
    """Files under `root`: `<series-slug>-<series-digest>.<entry-key>.json`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(self, series: str | None, key: str) -> dict[str, Any] | None:
        path = self._path(series, key)
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            return None

    def put(self, series: str | None, key: str, entry: dict[str, Any]) -> Path:
        """Write atomically (temp file + rename) and drop this series' older entries."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self._path(series, key)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(entry, fh)
        os.replace(tmp, path)
        for old in self.root.glob(f"{self._prefix(series)}.*.json"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
        return path

    def _prefix(self, series: str | None) -> str:
        name = "" if series is None else str(series)
        slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:60] or "series"
        return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"

    def _path(self, series: str | None, key: str) -> Path:
        return self.root / f"{self._prefix(series)}.{key}.json"
