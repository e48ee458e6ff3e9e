"""One experiment's readout: SRM banner, the winner rule's verdict, lift over time, power, totals.

Everything comes from `adops.experiments.results.readout`, which only reads: the winner rule is
applied by the `experiments.decide` job after each sync, and an analyst declares with the button in
`rollout_panel` (preselected with the rule's pick). The status controls and the rollout are there too.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from adops.analytics.kpis import KINDS
from adops.experiments import results
from adops.experiments import store as experiments
from adops.names import account_names, entity_name
from pages.components.ab_calculator import p_text
from pages.components.ab_charts import lift_over_time
from pages.components.formatting import PLATFORM_LABELS, fmt, kpi_column
from pages.components.rollout_panel import status_controls

STATUS_COLORS = {"draft": "gray", "running": "blue", "stopped": "orange", "rolled out": "violet"}
PCT = "percent"


def status_badge(status: str) -> None:
    st.badge(
        status[:1].upper() + status[1:],
        color="green" if status.startswith("winner: ") else STATUS_COLORS.get(status, "gray"),  # type: ignore[arg-type]
    )


def experiment_readout(experiment_id: int) -> None:
    """Draw the readout of one stored experiment."""
    try:
        res = results.readout(experiment_id)
    except experiments.ExperimentError as exc:
        st.error(f"{exc}: pick another experiment.")
        return
    exp = res.experiment
    st.subheader(exp.name)
    status_badge(exp.status)
    if exp.hypothesis:
        st.markdown(f"*{exp.hypothesis}*")
    st.caption(_settings(exp))
    st.dataframe(_variants(exp), hide_index=True, width="stretch", column_config=_VARIANT_COLUMNS)
    if not res.has_data:
        st.info(f"No readout yet: {res.decision.reasons[0]}.")
        status_controls(exp, res.decision)
        return
    _srm_banner(res)
    _verdict(res)
    for note in res.notes:
        st.warning(note)
    spec = res.metric
    for i, (name, c) in enumerate(res.primary.items(), start=1):
        st.markdown(
            f"**{name}** vs {exp.control.name} on {spec.label}: {_rate(res, i)} against {_rate(res, 0)}"
        )
        cols = st.columns([1, 1.6, 1, 1])
        cols[0].metric("Lift", _pct(c.lift), border=True)
        cols[1].metric(f"{1 - exp.rule.alpha:.0%} CI", f"{_pct(c.ci_low)} … {_pct(c.ci_high)}", border=True)
        cols[2].metric(
            "Chance to win", "–" if c.chance_to_win is None else f"{c.chance_to_win:.1%}", border=True
        )
        cols[3].metric(
            "Sequential p",
            "–" if c.sequential_p_value is None else f"{c.sequential_p_value:.3f}",
            help="Always-valid p-value: safe to check every day. Significant when below alpha.",
            border=True,
        )
        if c.error:
            st.warning(f"{name}: {c.error}.")
        st.plotly_chart(
            lift_over_time(res.over_time, name, spec.label, exp.mde),
            width="stretch",
            key=f"lift-{exp.id}-{name}",
        )
    st.caption(
        "The shaded band is the fixed-horizon interval, valid only at the planned end. The dashed sequential "
        "boundary stays valid however often you look: declare when it leaves zero."
    )
    _power(res)
    if exp.guardrail_metrics:
        st.markdown("**Guardrails**")
        st.dataframe(
            res.guardrail_table(),
            hide_index=True,
            width="stretch",
            placeholder="–",
            column_config={
                "variant": "Variant",
                "metric": "Metric",
                "lift": st.column_config.NumberColumn("Lift", format=PCT),
                "ci_low": st.column_config.NumberColumn("CI low", format=PCT),
                "ci_high": st.column_config.NumberColumn("CI high", format=PCT),
                "chance_worse": st.column_config.NumberColumn("Chance it is worse", format=PCT),
                "sequential_p_value": st.column_config.NumberColumn("Sequential p", format="%.3f"),
                "lower_is_better": "Lower is better",
            },
        )
    with st.expander("Totals per variant"):
        st.dataframe(
            res.totals,
            hide_index=True,
            width="stretch",
            column_config={
                **{c: kpi_column(c, res.currency) for c in res.totals.columns if c in KINDS},
                **{c: st.column_config.NumberColumn(format=PCT) for c in ("observed_share", "planned_share")},
            },
        )
        csv = res.ab_csv()
        if csv:
            st.download_button(
                "Download counts (adops ab CSV)", csv, f"{exp.key}.csv", "text/csv", key=f"ab-csv-{exp.id}"
            )
        st.download_button(
            "Download daily rows (CSV)",
            res.daily.to_csv(index=False),
            f"{exp.key}-daily.csv",
            "text/csv",
            key=f"ab-daily-{exp.id}",
        )
    status_controls(exp, res.decision)


def _settings(exp: experiments.ExperimentRecord) -> str:
    rule = exp.rule
    parts = [
        f"Primary metric: {results.METRICS[exp.primary_metric].label}",
        "guardrails: " + (", ".join(results.METRICS[g].label for g in exp.guardrail_metrics) or "none"),
        f"{exp.start_date} → {exp.end_date or 'open end'}",
        f"MDE {exp.mde:+.0%}" if exp.mde else "no MDE",
        f"alpha {rule.alpha:g}",
        f"min runtime {rule.min_runtime_days:g} days",
    ]
    if rule.chance_to_win_threshold is not None:
        parts.append(f"chance to win > {rule.chance_to_win_threshold:.0%} at the end")
    return " · ".join(parts)


#: the variants table's column labels
_VARIANT_COLUMNS = {
    "variant": "Variant",
    "role": "Role",
    "platform": "Platform",
    "account": "Account",
    "level": "Level",
    "entity": "Campaign, ad group or ad",
    "entity id": "Id on the platform",
    "planned share": "Planned share",
}


def _variants(exp: experiments.ExperimentRecord) -> pd.DataFrame:
    """The experiment's arms as people read them: platform labels and account names."""
    accounts = account_names()
    return pd.DataFrame(
        [
            {
                "variant": v.name,
                "role": "Control" if i == 0 else "Treatment",
                "platform": PLATFORM_LABELS.get(v.platform, v.platform),
                "account": accounts.get((str(v.platform), str(v.account_id)), v.account_id),
                "level": v.level.replace("_", " ").capitalize(),
                "entity": entity_name(v.platform, v.account_id, v.level, v.entity_id),
                "entity id": v.entity_id,
                "planned share": f"{share:.0%}",
            }
            for i, (v, share) in enumerate(zip(exp.variants, exp.planned_split, strict=True))
        ]
    )


def _srm_banner(res: results.ExperimentResults) -> None:
    shares = " / ".join(f"{s:.1%}" for s in res.totals["observed_share"])
    planned = " / ".join(f"{s:.0%}" for s in res.totals["planned_share"])
    if res.srm_flag:
        st.error(
            f"**Sample ratio mismatch** ({p_text(res.srm_p_value)}): {res.srm_unit} split {shares} against the "
            f"planned {planned}. Something is wrong with the assignment or the tracking, so no result here "
            "can be trusted and no winner is declared. Fix the split first.",
            icon=":material/warning:",
        )
    else:
        spread = (
            f"; daily traffic varies {res.srm_dispersion:.1f}× more than coin flips would, which the test allows for"
            if res.srm_dispersion > 1.05
            else ""
        )
        st.caption(
            f"Split on plan: {res.srm_unit} {shares} against {planned} (SRM {p_text(res.srm_p_value)}{spread})."
        )


def _verdict(res: results.ExperimentResults) -> None:
    """The winner rule's verdict on today's data (after a call or a rollout, for the record)."""
    d = res.decision
    exp = res.experiment
    day = f"Day {res.runtime_days}" + (f" of {exp.planned_days}" if exp.planned_days else "")
    if exp.status not in ("draft", "running"):
        day += f" (status: {exp.status}), the winner rule on today's data"
    reasons = "; ".join(d.reasons)
    if d.winner is not None:
        st.success(f"{day}: **{d.status}** ({reasons}).")
    elif d.status.startswith("guardrail harmed"):
        st.warning(f"{day}: {d.status} ({reasons}). That variant cannot win.")
    elif d.status == "no winner":
        st.info(f"{day}: the planned end is reached and no variant won. {reasons}")
    elif d.status == "running":
        why = reasons or f"no variant is significant on the sequential test at alpha {exp.rule.alpha:g} yet"
        st.info(f"{day}: not called yet; {why}.")


def _power(res: results.ExperimentResults) -> None:
    for p in res.power:
        target = f"{p.target_lift:+.0%}" if p.target_lift else "the MDE"
        st.markdown(f"**Power and time to significance: {p.variant}** (MDE {target}, sequential test)")
        cols = st.columns(4)
        cols[0].metric(
            "Power now",
            "–" if p.power_now is None else f"{p.power_now:.0%}",
            help=f"Chance the sample so far declares a true lift of {target}.",
            border=True,
        )
        cols[1].metric(
            "Days to 80% power",
            _days(p.days_to_significance),
            help=f"More days at the current traffic until a true lift of {target} is declared with 80% power.",
            border=True,
        )
        cols[2].metric(
            "Detectable now",
            "–" if p.detectable_now is None else f"{p.detectable_now:+.1%}",
            help="The lift the sample so far detects with 80% power.",
            border=True,
        )
        cols[3].metric(
            "Days at observed lift",
            _days(p.observed_days_to_significance),
            help="More days until the lift observed so far, if it is the true one, is declared with 80% power.",
            border=True,
        )
        end = "" if p.power_at_end is None else f" Power at the planned end: {p.power_at_end:.0%}."
        st.caption(f"{p.units_so_far:,.0f} {p.unit} per variant so far, {p.units_per_day:,.1f} a day.{end}")
        called = res.decision.winner is not None or res.decision.status.startswith("winner")
        if called and p.power_now is not None and p.power_now < 0.8:
            st.info(
                f"Why low power beside a significant result: power is the chance to detect a lift of {target} "
                f"(the planned minimum) with this sample. The test was called on the lift it saw, which is "
                f"larger than that, so a significant p-value stands; low power says a lift as small as {target} "
                "could still have been missed.",
                icon=":material/info:",
            )


def _pct(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:+.1%}"


def _rate(res: results.ExperimentResults, row: int) -> str:
    value = res.totals.iloc[row][res.metric.key]
    if pd.isna(value):
        return "–"
    key = res.metric.key
    return fmt(key, float(value), res.currency) if key in KINDS else f"{res.currency} {value:,.2f}"


def _days(days: int | None) -> str:
    if days is None:
        return "–"
    return "reached" if days == 0 else f"{days:,} more"
