"""The simulator's own daily rates, for sandbox accounts only (their spend was simulated with them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from adops.fx import COLUMNS, UnknownCurrency

SOURCE = "sandbox"


class SandboxRates:
    """The RateSource over the sandbox world: a rate for every day, for the simulator's currencies."""

    name = SOURCE

    def rates(self, currency: str, reporting: str, days: Sequence[date]) -> pd.DataFrame:
        from adops.connectors.sandbox import load_world
        from adops.connectors.sandbox.world import CURRENCY_USD

        wanted = sorted(set(days))
        if currency == reporting or not wanted:
            return pd.DataFrame([(d, currency, reporting, 1.0, SOURCE, d) for d in wanted], columns=COLUMNS)
        for code in (currency, reporting):
            if code not in CURRENCY_USD:
                raise UnknownCurrency(
                    code, "sandbox", f"the simulator has rates for {', '.join(sorted(CURRENCY_USD))}"
                )
        table = load_world().fx_rates(wanted[0], wanted[-1], reporting)
        table = table[table.currency == currency].assign(date=lambda f: pd.to_datetime(f["date"]).dt.date)
        table = table[table.date.isin(set(wanted))]
        return pd.DataFrame(
            {
                "date": table.date,
                "currency": currency,
                "reporting_currency": reporting,
                "rate_to_reporting": table.rate.astype(float),
                "source": SOURCE,
                "rate_date": table.date,
            }
        )[COLUMNS].reset_index(drop=True)
