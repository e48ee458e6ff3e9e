"""How each platform says "there is another page", as `next_page` functions for `ApiClient.paginate`.

Two kinds cover the six platforms and Asana: an opaque cursor the last page gave (Meta's `after`,
Pinterest's `bookmark`, LinkedIn's `pageToken`, Asana's `offset`) and a page number counted up to a
total (TikTok). Each returns the parameters to change for the next page, or None after the last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adops.connectors.http import NextPage


def cursor(param: str, find: Callable[[Any], Any]) -> NextPage:
    """Send `param` = the cursor `find(body)` picks from a page; no cursor means the last page."""

    def next_page(body: Any, query: dict[str, Any]) -> dict[str, Any] | None:
        value = find(body) if isinstance(body, dict) else None
        return {param: str(value)} if value else None

    return next_page


def page_number(param: str, total_pages: Callable[[Any], Any]) -> NextPage:
    """Ask page `param` + 1 while it is below `total_pages(body)` (pages count from 1)."""

    def next_page(body: Any, query: dict[str, Any]) -> dict[str, Any] | None:
        current = int(query.get(param, 1))
        try:
            total = int(total_pages(body) or 1)
        except (TypeError, ValueError):
            total = 1
        return {param: current + 1} if current < total else None

    return next_page


def dig(*keys: str) -> Callable[[Any], Any]:
    """A function reading `body[k1][k2]...`, None where a level is missing or not an object."""

    def get(body: Any) -> Any:
        for key in keys:
            if not isinstance(body, dict):
                return None
            body = body.get(key)
        return body

    return get
