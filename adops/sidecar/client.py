"""What the app asks of the sidecar over HTTP (it never imports the sidecar's process state)."""

from __future__ import annotations

from typing import Any

import httpx

from adops import config


def health(timeout: float = 0.5) -> dict[str, Any] | None:
    """The sidecar's /health document, or None when it does not answer."""
    try:
        response = httpx.get(f"{config.load().sidecar_url}/health", timeout=timeout)
        return dict(response.json())
    except (httpx.HTTPError, ValueError):
        return None
