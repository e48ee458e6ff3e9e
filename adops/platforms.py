"""The six ad platforms: their names, lookback windows and account-id formats.

A module of plain constants and one pure function, so that the CLI (which must start fast) and the
settings model share them without importing the settings stack. `adops.config` re-exports them.
"""

from __future__ import annotations

import re

from adops.errors import InputError

PLATFORMS = ("google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads")

#: How people name each platform (pages, the simulator's account names).
PLATFORM_NAMES = {
    "google_ads": "Google Ads",
    "meta": "Meta",
    "pinterest": "Pinterest",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "microsoft_ads": "Microsoft Ads",
}

#: Days re-read before the sync cursor, because conversions restate after the click.
DEFAULT_LOOKBACK_DAYS = {
    "google_ads": 30,
    "meta": 28,
    "pinterest": 30,
    "linkedin": 30,
    "tiktok": 14,
    "microsoft_ads": 30,
}

# Each platform's own account-id format, as its API reference writes it:
# - Google Ads: the customer id, 10 digits, shown as 123-456-7890 in the UI; the API takes the digits only.
# - Meta Marketing API: the ad account node is `act_<digits>` (the SDKs prepend `act_` to a bare number).
# - LinkedIn Marketing API: a sponsored account's numeric id, or its URN `urn:li:sponsoredAccount:<digits>`.
# - TikTok Business API: `advertiser_id`, a number (up to 19 digits).
# - Pinterest API v5: `ad_account_id`, pattern `^\d+$`.
# - Microsoft Advertising (Bing Ads v13): `AccountId`, a long.
_DIGITS = r"[0-9]{1,20}"
_ID_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "google_ads": (re.compile(r"[0-9]{3}-?[0-9]{3}-?[0-9]{4}"), "10 digits, dashes allowed (123-456-7890)"),
    "meta": (re.compile(rf"(?:act_)?{_DIGITS}"), "act_ followed by digits (act_1234567890)"),
    "linkedin": (
        re.compile(rf"(?:urn:li:sponsoredAccount:)?{_DIGITS}"),
        "digits, or urn:li:sponsoredAccount: and digits",
    ),
    "tiktok": (re.compile(_DIGITS), "digits (the advertiser_id)"),
    "pinterest": (re.compile(_DIGITS), "digits (the ad_account_id)"),
    "microsoft_ads": (re.compile(_DIGITS), "digits (the AccountId, not the account number)"),
}


def normalize_account_id(platform: str, value: str) -> str:
    """The account id in the form the platform's API takes, or InputError saying the expected format.

    Google's dashes are stripped, Meta's bare number gets its `act_`, LinkedIn's URN becomes its digits.
    """
    if platform not in _ID_RULES:
        raise InputError(f"unknown platform {platform!r} (use one of {', '.join(PLATFORMS)})")
    pattern, expected = _ID_RULES[platform]
    text = value.strip() if isinstance(value, str) else ""
    if not pattern.fullmatch(text):
        # echo the value only when it is plainly a typo, never markup or SQL someone pasted in
        shown = repr(text) if re.fullmatch(r"[\w:.-]{1,40}", text) else "this value"
        raise InputError(f"{shown} is not a {PLATFORM_NAMES[platform]} account id: expected {expected}")
    if platform == "google_ads":
        return text.replace("-", "")
    if platform == "meta":
        return text if text.startswith("act_") else f"act_{text}"
    if platform == "linkedin":
        return text.rpartition(":")[2]
    return text
