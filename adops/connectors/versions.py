"""The API version each platform client speaks, and when the platform stops serving it.

Platforms retire API versions on published schedules, and a request to a retired version fails
outright (Meta: error #2635, LinkedIn: HTTP 426 NONEXISTENT_VERSION, Google Ads: HTTP 404). This
module is the one place that names the versions: the pin per platform, its release date and its
documented end of life (with the page that documents it), the environment override where there is
one, and LinkedIn's negotiated version (`linkedin_version`). `status()` tells `adops connectors
check` whether a version is fine, ends within `WARN_DAYS`, or has ended.

LinkedIn releases a `LinkedIn-Version: YYYYMM` every month or so and serves each for about a year,
so the client does not pin one: it starts at the current month and steps back a month on each 426
NONEXISTENT_VERSION (at most `LINKEDIN_MAX_STEPS`), and remembers the answer per process and in
`$ADOPS_HOME/api_versions.json`, so the next run starts there (it probes again once a new month
begins).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from adops import clock, config
from adops.connectors.errors import NotConfigured
from adops.connectors.http import ENV_NAMES

#: warn this many days before a pinned version's end of life
WARN_DAYS = 60
#: LinkedIn: how many months back from the current one the client tries before giving up
LINKEDIN_MAX_STEPS = 12
#: the largest `api_versions.json` read back; anything bigger is ignored, not parsed
CACHE_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Release:
    """One API version of one platform, as the platform documents it."""

    version: str
    released: date | None
    #: the day requests start failing; None while the platform has announced none ("TBD")
    end_of_life: date | None
    #: the page that documents these dates
    source: str
    #: True when `end_of_life` is the platform's stated policy applied to this release, not a date
    #: the platform announced for it
    estimated: bool = False


#: The version each client is pinned to, chosen 2026-12-07 as the newest the platform serves.
PINS: dict[str, Release] = {
    # Released 2026-10-14. Google gives no date yet; its policy is "major versions have a lifespan
    # of around 12 months" (v22: released October 2025, sunset 2026-10-07), so about October 2027.
    # https://developers.google.com/google-ads/api/docs/sunset-dates
    # https://developers.google.com/ads/blog/posts/2026/10/announcing-v26-of-google-ads-api
    "google_ads": Release(
        "v26",
        date(2026, 10, 14),
        date(2027, 10, 1),
        "https://developers.google.com/google-ads/api/docs/sunset-dates",
        estimated=True,
    ),
    # Marketing API version table: v27.0 released 2026-11-04, expiration "TBD".
    # (v24.0, pinned before, expired 2026-11-10; v25.0 expires 2027-02-23.)
    # https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
    "meta": Release(
        "v27.0",
        date(2026, 11, 4),
        None,
        "https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions",
    ),
    # TikTok API for Business v1.3 since 2022-08-15, "available until: TBD" (v1.2 ended 2023-08-15).
    # https://business-api.tiktok.com/portal/docs?id=1740029169927169
    "tiktok": Release(
        "v1.3", date(2022, 8, 15), None, "https://business-api.tiktok.com/portal/docs?id=1740029169927169"
    ),
    # Pinterest REST API v5 (first public description 2021-09-01); no end of life announced.
    # https://github.com/pinterest/api-description
    "pinterest": Release("v5", date(2021, 9, 1), None, "https://github.com/pinterest/api-description"),
    # Microsoft Advertising (Bing Ads) API v13, generally available since 2019-04-23; no sunset
    # announced (v12 was shut down after 2019-10-31, answering error 303 ApiVersionNoLongerSupported).
    # https://techcommunity.microsoft.com/blog/adsapiblog/announcing-general-availability-of-bing-ads-api-v13/639065
    "microsoft_ads": Release(
        "v13",
        date(2019, 4, 23),
        None,
        "https://techcommunity.microsoft.com/blog/adsapiblog/announcing-general-availability-of-bing-ads-api-v13/639065",
    ),
}

#: Earlier versions with documented dates, so an override to one of them is judged too.
KNOWN: dict[str, list[Release]] = {
    "google_ads": [
        Release(
            "v19",
            date(2025, 2, 26),
            date(2026, 2, 11),
            "https://developers.google.com/ads/blog/posts/2025/12/google-ads-api-v19-sunset-reminder",
        ),
        Release(
            "v20",
            date(2025, 6, 4),
            date(2026, 6, 10),
            "https://developers.google.com/ads/blog/posts/2026/04/google-ads-api-v20-sunset-reminder",
        ),
        Release(
            "v21",
            None,
            date(2026, 8, 5),
            "https://developers.google.com/ads/blog/posts/2026/06/google-ads-api-v21-sunset-reminder",
        ),
        Release(
            "v22",
            None,
            date(2026, 10, 7),
            "https://developers.google.com/ads/blog/posts/2026/09/google-ads-api-v22-sunset-reminder",
        ),
    ],  # fmt: skip
    "meta": [
        Release("v22.0", date(2025, 1, 21), date(2026, 2, 19), PINS["meta"].source),
        Release("v23.0", date(2025, 5, 29), date(2026, 6, 9), PINS["meta"].source),
        Release("v24.0", date(2025, 10, 8), date(2026, 11, 10), PINS["meta"].source),
        Release("v25.0", date(2026, 2, 18), date(2027, 2, 23), PINS["meta"].source),
        Release("v26.0", date(2026, 7, 29), None, PINS["meta"].source),
    ],
    "tiktok": [Release("v1.2", date(2021, 3, 19), date(2023, 8, 15), PINS["tiktok"].source)],
    "microsoft_ads": [Release("v12", None, date(2019, 10, 31), PINS["microsoft_ads"].source)],
}

#: What an override must look like, per platform (it goes into URL paths and headers).
PATTERNS = {
    "google_ads": re.compile(r"v\d{1,3}"),
    "meta": re.compile(r"v\d{1,3}\.\d"),
    "linkedin": re.compile(r"\d{6}"),
}

LINKEDIN_SOURCE = "https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations"


def env_name(platform: str) -> str:
    """The environment variable that overrides a platform's version: `ADOPS_<PLATFORM>_VERSION`."""
    return f"ADOPS_{ENV_NAMES[platform]}_VERSION"


def override(platform: str) -> str | None:
    """The version set in the environment, validated; None when unset (or the platform has none)."""
    if platform not in PATTERNS:
        return None
    value = os.environ.get(env_name(platform), "").strip()
    if not value:
        return None
    if not PATTERNS[platform].fullmatch(value):
        shown = value[:20] + ("..." if len(value) > 20 else "")
        example = {"google_ads": "v26", "meta": "v27.0", "linkedin": "202611"}[platform]
        raise NotConfigured(
            f"{env_name(platform)}={shown!r} is not a {platform} API version (like {example})"
        )
    if platform == "linkedin" and not 1 <= int(value[4:]) <= 12:
        raise NotConfigured(f"{env_name(platform)}={value!r} is not a YYYYMM month")
    return value


def version(platform: str) -> str:
    """The version a pinned client sends: the override when set, else the pin."""
    return override(platform) or PINS[platform].version


def release(platform: str, name: str) -> Release | None:
    """What is documented about one version of a platform (None: nothing known)."""
    if platform == "linkedin":
        return linkedin_release(name)
    for known in [PINS.get(platform), *KNOWN.get(platform, [])]:
        if known is not None and known.version == name:
            return known
    return None


# ---------------------------------------------------------------------------- status


@dataclass(frozen=True)
class VersionStatus:
    """How one platform's version in use stands on a given day."""

    platform: str
    version: str
    #: "ok", "expiring" (within WARN_DAYS), "expired", or "unknown" (no end of life known)
    state: str
    end_of_life: date | None
    days_left: int | None
    estimated: bool
    overridden: bool
    source: str | None
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["end_of_life"] = self.end_of_life.isoformat() if self.end_of_life else None
        return out


def status(platform: str, today: date | None = None, in_use: str | None = None) -> VersionStatus | None:
    """Whether the version a platform's client uses still works on `today` and for how long.

    `in_use` is the version the client actually sent (LinkedIn's negotiated one); without it the
    override or the pin is judged. None for LinkedIn before any version was negotiated.
    """
    today = today or clock.today()
    overridden = override(platform) is not None
    if platform == "linkedin":
        name = in_use or override("linkedin") or linkedin_cached()
        if name is None:
            return None
    else:
        name = in_use or version(platform)
    known = release(platform, name)
    eol = known.end_of_life if known else None
    estimated = bool(known and known.estimated)
    source = known.source if known else None
    if eol is None:
        return VersionStatus(platform, name, "unknown", None, None, False, overridden, source, None)
    days = (eol - today).days
    when = f"{'about ' if estimated else ''}{eol.isoformat()}"
    fix = _fix(platform, overridden)
    if days <= 0:
        message = f"{platform} API {name} reached its end of life on {when}; requests to it fail: {fix}"
        state = "expired"
    elif days <= WARN_DAYS:
        message = f"{platform} API {name} ends on {when} (in {days} days): {fix}"
        state = "expiring"
    else:
        message, state = None, "ok"
    return VersionStatus(platform, name, state, eol, days, estimated, overridden, source, message)


def refused_hint(platform: str, name: str) -> str:
    """What to tell a person when the platform refused version `name` as retired or unknown."""
    known = release(platform, name)
    when = f" (its end of life was {known.end_of_life.isoformat()})" if known and known.end_of_life else ""
    return f"{platform} does not serve API {name}{when}: {_fix(platform, override(platform) is not None)}"


def _fix(platform: str, overridden: bool) -> str:
    if platform == "linkedin":
        if overridden:
            return f"unset {env_name(platform)} so the client picks the newest version LinkedIn serves"
        return "the client moves to the newest served version by itself; nothing to do"
    pin = PINS[platform].version
    if overridden:
        return f"set {env_name(platform)} to a current version or unset it (this build pins {pin})"
    if platform in PATTERNS:
        return f"upgrade adops, or set {env_name(platform)} to a newer version the platform serves"
    return "upgrade adops to a build that speaks a newer version"


# ---------------------------------------------------------------------------- LinkedIn


def month(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}"


def shift_month(version_name: str, months: int) -> str:
    """'202601' shifted by -1 month -> '202512'."""
    index = int(version_name[:4]) * 12 + int(version_name[4:]) - 1 + months
    return f"{index // 12:04d}{index % 12 + 1:02d}"


def linkedin_release(name: str) -> Release | None:
    """A LinkedIn version's dates: released in its month, sunset about a year later (mid-month).

    LinkedIn's migrations table sunsets YYYYMM on about the 15th of the same month a year on
    (202510 -> 2026-10-15, 202511 -> 2026-11-16, 202601 -> 2027-01-15).
    """
    if not PATTERNS["linkedin"].fullmatch(name) or not 1 <= int(name[4:]) <= 12:
        return None
    year, mon = int(name[:4]), int(name[4:])
    return Release(name, date(year, mon, 1), date(year + 1, mon, 15), LINKEDIN_SOURCE, estimated=True)


_lock = threading.Lock()
#: (workspace, base URL) -> (version, the month it was found in)
_negotiated: dict[tuple[str, str], tuple[str, str]] = {}
#: what this process last wrote (or found) in the workspace file, so it is not rewritten per request
_written: dict[tuple[str, str], tuple[str, str]] = {}


def linkedin_version(base_url: str) -> str:
    """The LinkedIn-Version to send: the override, else the newest found this month, else this month."""
    pinned = override("linkedin")
    if pinned:
        return pinned
    this_month = month(clock.today())
    key = (str(config.home()), base_url)
    with _lock:
        found = _negotiated.get(key) or _read_cache(base_url)
        if found is None or found[1] != this_month or not _plausible(found[0], this_month):
            found = (this_month, this_month)
        _negotiated[key] = found
        return found[0]


def linkedin_refused(base_url: str, refused: str) -> str | None:
    """LinkedIn answered 426 for `refused`: the next version to try, or None when out of steps.

    Threads that saw the same refusal get the same answer; the result is remembered per process and
    written to the workspace.
    """
    this_month = month(clock.today())
    floor = shift_month(this_month, -LINKEDIN_MAX_STEPS)
    key = (str(config.home()), base_url)
    with _lock:
        current = _negotiated.get(key, (this_month, this_month))[0]
        if current < refused:  # another thread already stepped past it
            return current
        candidate = shift_month(min(refused, shift_month(this_month, 1)), -1)
        if candidate < floor:
            return None
        _negotiated[key] = (candidate, this_month)
        return candidate


def linkedin_served(base_url: str, served: str) -> None:
    """A request with `served` succeeded: keep it for the next run (written once per change)."""
    entry = (served, month(clock.today()))
    key = (str(config.home()), base_url)
    with _lock:
        if _written.get(key) == entry:
            return
        _written[key] = entry
    if _read_cache(base_url) != entry:
        _write_cache(base_url, *entry)


def linkedin_cached(base_url: str | None = None) -> str | None:
    """The version this process (or an earlier run this month) found LinkedIn serving, if any."""
    home = str(config.home())
    with _lock:
        for (where, url), (found, _) in _negotiated.items():
            if where == home and (base_url is None or url == base_url):
                return found
    if base_url is not None:
        cached = _read_cache(base_url)
        return cached[0] if cached else None
    return None


def _plausible(name: str, this_month: str) -> bool:
    return shift_month(this_month, -LINKEDIN_MAX_STEPS) <= name <= this_month


def _cache_path() -> Path:
    return config.home() / "api_versions.json"


def _load_cache() -> dict[str, Any]:
    """The cache file's JSON object; empty when missing, oversized, malformed or not an object."""
    path = _cache_path()
    try:
        if path.stat().st_size > CACHE_MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_cache(base_url: str) -> tuple[str, str] | None:
    """The cached (version, month) for this base URL; anything malformed is ignored."""
    table = _load_cache().get("linkedin")
    entry = table.get(base_url) if isinstance(table, dict) else None
    if not isinstance(entry, dict):
        return None
    found, checked = entry.get("version"), entry.get("month")
    if not (isinstance(found, str) and isinstance(checked, str)):
        return None
    if linkedin_release(found) is None or linkedin_release(checked) is None:
        return None
    return found, checked


def _write_cache(base_url: str, served: str, this_month: str) -> None:
    """Record the served version (owner-only file, replaced atomically); failures only cost a probe."""
    path = _cache_path()
    data = _load_cache()
    table = data.get("linkedin") if isinstance(data.get("linkedin"), dict) else {}
    assert isinstance(table, dict)
    table.pop(base_url, None)
    table[base_url] = {"version": served, "month": this_month}
    data["linkedin"] = dict(list(table.items())[-20:])  # a few base URLs at most, never a growing file
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass
