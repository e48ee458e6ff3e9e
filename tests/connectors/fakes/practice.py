"""A fake platform as a practice server, for the getting-started walkthrough (docs/getting-started.md).

    .venv/bin/python -m tests.connectors.fakes.practice tiktok --port 9100

serves the fake TikTok API for Business (one advertiser, its campaigns, ad groups, ads and daily
stats) on 127.0.0.1:9100 until Ctrl-C. Point `ADOPS_TIKTOK_BASE_URL` at it and connect the account
exactly as you would a real one.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from tests.connectors.fakes.tiktok import FakeTikTok

FAKES: dict[str, Any] = {"tiktok": FakeTikTok}


def app(platform: str) -> Any:
    """The ASGI app of the named fake platform."""
    if platform not in FAKES:
        raise SystemExit(f"error: no practice server for {platform!r}; one of: {', '.join(FAKES)}")
    return FAKES[platform]().app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("platform", choices=sorted(FAKES))
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args(argv)
    uvicorn.run(app(args.platform), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
