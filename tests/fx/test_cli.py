"""`adops fx status` and `adops fx refresh` as a user runs them (the download faked, never the network)."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pytest

from adops.fx import ecb
from tests.cli_support import run


def serve_download(monkeypatch: pytest.MonkeyPatch, handler) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(
        ecb, "refresh", functools.partial(ecb.refresh, transport=httpx.MockTransport(handler))
    )


def history(last: date) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("eurofxref-hist.csv", f"Date,USD,JPY,\n{last.isoformat()},1.2,180,\n")
    return buf.getvalue()


def test_status_names_the_shipped_file_and_says_it_is_old(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["fx", "status", "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["origin"] == "shipped" and info["last_day"] == "2026-10-30"
    assert info["days_behind"] == 25 and "adops fx refresh" in info["hint"]  # today is 2026-11-24
    assert info["reporting_currency"] == "USD" and info["currencies"] > 30
    code, out, _ = run(["fx", "status"], capsys)
    assert code == 0 and "ECB rates to 2026-10-30 (shipped" in out


def test_refresh_then_status(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[str] = []

    def ecb_site(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=history(date(2026, 11, 23)))

    serve_download(monkeypatch, ecb_site)
    code, out, _ = run(["fx", "refresh"], capsys)
    assert code == 0 and "2026-11-23" in out
    assert seen == ["https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"]
    code, out, _ = run(["fx", "status", "--json"], capsys)
    info = json.loads(out)
    assert info["origin"] == "refreshed" and info["last_day"] == "2026-11-23" and info["hint"] is None
    # the same download again: not newer than the one in use, still accepted as equal
    code, _, _ = run(["fx", "refresh", "--json"], capsys)
    assert code == 0


@pytest.mark.parametrize(
    ("answer", "code_wanted", "message"),
    [
        (lambda r: httpx.Response(200, content=b"not a zip"), 2, "not a zip"),
        (lambda r: httpx.Response(404, content=b""), 1, "HTTP 404"),
        (lambda r: httpx.Response(200, content=history(date(2020, 1, 1))), 2, "before the rates in use"),
    ],
)
def test_a_bad_refresh_exits_with_one_line_and_keeps_the_rates(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer,  # type: ignore[no-untyped-def]
    code_wanted: int,
    message: str,
) -> None:
    serve_download(monkeypatch, answer)
    code, _, err = run(["fx", "refresh"], capsys)
    assert code == code_wanted and len(err.strip().splitlines()) == 1 and message in err
    assert "Traceback" not in err
    code, out, _ = run(["fx", "status", "--json"], capsys)
    assert json.loads(out)["origin"] == "shipped"


def test_refresh_refuses_a_url_that_is_not_http(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["fx", "refresh", "--url", "file:///etc/passwd"], capsys)
    assert code == 2 and "http" in err and len(err.strip().splitlines()) == 1
