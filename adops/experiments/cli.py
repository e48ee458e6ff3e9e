"""`adops ab`: read A/B counts from a CSV, print every experiment's readout (JSON with `--json`).

CSV columns: `variant, users, conversions`; optional `experiment` (many experiments in one file),
`weight` (planned traffic share), `revenue` (total per variant) and `revenue_sum_squares` (sum over
users of revenue squared; with `revenue` it adds a revenue-per-user test). Per experiment the first
row is the control. Rows are numbered as in a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adops.cli_common import AsJson, emit_json, fail, input_csv, new_app
from adops.errors import InputError
from adops.experiments.defaults import DEFAULT_SEQUENTIAL_TUNING

if TYPE_CHECKING:  # the readout (scipy) is imported when a CSV is read, not for `adops --help`
    from adops.experiments.readout import ExperimentReadout, MetricComparison, VariantCounts

__all__ = ["AbInputError", "analyze_document", "app", "parse_ab_csv", "read_ab_csv", "readout_document"]

REQUIRED = ("variant", "users", "conversions")
OPTIONAL = ("experiment", "weight", "revenue", "revenue_sum_squares")


class AbInputError(InputError):
    """The CSV cannot be read as A/B counts; the message names the row or column."""


app = new_app("A/B test readouts from a CSV of counts.")


@app.command("ab")
def ab(
    input: Annotated[
        Path,
        typer.Option(
            "--input",
            help="CSV: variant, users, conversions [, experiment, weight, "
            "revenue, revenue_sum_squares]. First row per experiment = control.",
        ),
    ],
    alpha: Annotated[float, typer.Option(help="Significance level; intervals are at 1 - alpha.")] = 0.05,
    tuning: Annotated[
        float, typer.Option(help="Sequential test: total users where its interval is tightest.")
    ] = DEFAULT_SEQUENTIAL_TUNING,
    as_json: AsJson = False,
) -> None:
    """A/B test readout: relative lift with CI and p-value, chance to win, sequential test, SRM."""
    if not 0 < alpha < 1:
        fail(f"--alpha must be between 0 and 1, not {alpha}")
    if not tuning > 0:
        fail(f"--tuning must be positive, not {tuning}")
    try:
        experiments = read_ab_csv(input_csv(input))
    except AbInputError as exc:
        fail(f"{input}: {exc}")
    document = analyze_document(experiments, alpha, tuning)
    if as_json:
        emit_json(document)
    else:
        typer.echo(_table(document))


def read_ab_csv(path: Path) -> list[tuple[str | None, list[VariantCounts]]]:
    """Parse and validate the CSV into experiments (name or None, variants with the control first)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return parse_ab_csv(fh)
    except UnicodeDecodeError as exc:
        raise AbInputError(f"not a UTF-8 text file ({exc.reason})") from exc


def parse_ab_csv(lines: Iterable[str]) -> list[tuple[str | None, list[VariantCounts]]]:
    """`read_ab_csv` over text already read (pasted counts, an upload): the same checks and messages."""
    try:
        reader = csv.reader(lines)
        header = next(reader, None)
        if header is None:
            raise AbInputError("the file is empty; expected a header with variant, users, conversions")
        columns = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise AbInputError(
                f"missing column {', '.join(repr(c) for c in missing)} "
                f"(found: {', '.join(c for c in columns if c) or 'none'})"
            )
        index = {c: columns.index(c) for c in (*REQUIRED, *OPTIONAL) if c in columns}
        rows = [
            _parse_row(reader.line_num, cells, index) for cells in reader if any(c.strip() for c in cells)
        ]
    except csv.Error as exc:
        raise AbInputError(f"not a readable CSV ({exc})") from exc
    if not rows:
        raise AbInputError("no data rows after the header")
    return _group(rows, "experiment" in index)


@dataclass(frozen=True)
class _Row:
    line: int
    experiment: str | None
    counts: VariantCounts


def _parse_row(line: int, cells: list[str], index: dict[str, int]) -> _Row:
    from adops.experiments.readout import VariantCounts

    def cell(name: str) -> str:
        i = index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def number(name: str, required: bool) -> float | None:
        text = cell(name)
        if not text:
            if required:
                raise AbInputError(f"row {line}: {name} is empty")
            return None
        try:
            value = float(text)
        except ValueError:
            raise AbInputError(f"row {line}: {name} {text!r} is not a number") from None
        if not math.isfinite(value):
            raise AbInputError(f"row {line}: {name} {text!r} is not a finite number")
        return value

    variant = cell("variant")
    if not variant:
        raise AbInputError(f"row {line}: variant is empty")
    users = number("users", True)
    conversions = number("conversions", True)
    assert users is not None and conversions is not None
    if users < 0:
        raise AbInputError(f"row {line}: users is negative ({users:g})")
    if not users.is_integer():
        raise AbInputError(f"row {line}: users must be a whole number, not {users:g}")
    if conversions < 0:
        raise AbInputError(f"row {line}: conversions is negative ({conversions:g})")
    if conversions > users:
        raise AbInputError(f"row {line}: conversions ({conversions:g}) exceed users ({users:g})")
    weight = number("weight", False)
    if weight is not None and weight <= 0:
        raise AbInputError(f"row {line}: weight must be positive, not {weight:g}")
    revenue = number("revenue", False)
    squares = number("revenue_sum_squares", False)
    if squares is not None and squares < 0:
        raise AbInputError(f"row {line}: revenue_sum_squares is negative ({squares:g})")
    experiment = None
    if "experiment" in index:
        experiment = cell("experiment")
        if not experiment:
            raise AbInputError(f"row {line}: experiment is empty")
    counts = VariantCounts(variant, int(users), conversions, weight, revenue, squares)
    return _Row(line, experiment, counts)


def _group(rows: list[_Row], named: bool) -> list[tuple[str | None, list[VariantCounts]]]:
    groups: dict[str | None, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.experiment if named else None, []).append(row)
    out: list[tuple[str | None, list[VariantCounts]]] = []
    for name, members in groups.items():
        label = f"experiment {name!r}" if name is not None else "the file"
        if len(members) < 2:
            raise AbInputError(
                f"row {members[0].line}: {label} has only one variant; "
                "it needs a control (its first row) and at least one treatment"
            )
        seen: dict[str, int] = {}
        for r in members:
            if r.counts.variant in seen:
                raise AbInputError(
                    f"row {r.line}: variant {r.counts.variant!r} repeats row {seen[r.counts.variant]} "
                    f"in {label}"
                )
            seen[r.counts.variant] = r.line
        weights = [r.counts.weight for r in members]
        if any(w is None for w in weights) and not all(w is None for w in weights):
            blank = next(r for r in members if r.counts.weight is None)
            raise AbInputError(
                f"row {blank.line}: weight is empty while other rows of {label} have one (give all or none)"
            )
        out.append((name, [r.counts for r in members]))
    return out


def analyze_document(
    experiments: list[tuple[str | None, list[VariantCounts]]],
    alpha: float = 0.05,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> dict[str, Any]:
    """Read out parsed experiments into the `adops ab --json` document (the CLI and the A/B page)."""
    from adops.experiments.readout import analyze_counts

    return readout_document([analyze_counts(rows, alpha, name, tuning) for name, rows in experiments])


def readout_document(readouts: list[ExperimentReadout]) -> dict[str, Any]:
    """The `adops ab --json` document (INTERFACES.md), with extra fields after the required ones."""
    return {"experiments": [_experiment(r) for r in readouts]}


def _experiment(r: ExperimentReadout) -> dict[str, Any]:
    return {
        "experiment": r.experiment,
        "srm_p_value": r.srm_p_value,
        "srm_flag": r.srm_flag,
        "alpha": r.alpha,
        "variants": [
            _variant(v.counts, v.conversion, v.revenue, v.p_value_holm, v.sequential_p_value_holm, r.alpha)
            for v in r.variants
        ],
    }


def _variant(
    c: VariantCounts,
    conv: MetricComparison | None,
    rev: MetricComparison | None,
    p_holm: float | None,
    seq_holm: float | None,
    alpha: float,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "variant": c.variant,
        "users": c.users,
        "conversions": int(c.conversions) if float(c.conversions).is_integer() else c.conversions,
        "rate": c.rate,
        "lift": conv.lift if conv else None,
        "lift_ci_low": conv.ci_low if conv else None,
        "lift_ci_high": conv.ci_high if conv else None,
        "p_value": conv.p_value if conv else None,
        "chance_to_win": conv.chance_to_win if conv else None,
        "control": conv is None,
        "significant": (conv.p_value < alpha) if conv and conv.p_value is not None else None,
        "expected_loss": conv.expected_loss if conv else None,
        "p_value_holm": p_holm,
        "sequential_p_value": conv.sequential_p_value if conv else None,
        "sequential_p_value_holm": seq_holm,
        "sequential_ci_low": conv.sequential_ci_low if conv else None,
        "sequential_ci_high": conv.sequential_ci_high if conv else None,
        "weight": c.weight,
    }
    if conv and conv.error:
        out["error"] = conv.error
    if c.revenue is not None:
        out["revenue"] = c.revenue
        out["revenue_per_user"] = c.revenue / c.users if c.users > 0 else None
    if rev is not None:
        out.update(
            {
                "revenue_lift": rev.lift,
                "revenue_lift_ci_low": rev.ci_low,
                "revenue_lift_ci_high": rev.ci_high,
                "revenue_p_value": rev.p_value,
                "revenue_chance_to_win": rev.chance_to_win,
            }
        )
    return out


def _table(document: dict[str, Any]) -> str:
    lines = []
    for e in document["experiments"]:
        title = e["experiment"] if e["experiment"] is not None else "experiment"
        srm = "  << SAMPLE RATIO MISMATCH: do not trust this readout" if e["srm_flag"] else ""
        lines.append(f"{title}  (SRM p = {e['srm_p_value']:.3g}){srm}")
        lines.append(
            f"  {'variant':<16}{'users':>10}{'conv':>10}{'rate':>9}{'lift':>9}{'CI':>20}{'p':>9}{'win %':>8}"
        )
        for v in e["variants"]:
            rate = f"{v['rate']:.2%}" if v["rate"] is not None else "-"
            if v["control"]:
                lines.append(
                    f"  {v['variant']:<16}{v['users']:>10}{v['conversions']:>10g}{rate:>9}   control"
                )
                continue
            lift = f"{v['lift']:+.1%}" if v["lift"] is not None else "-"
            ci = (
                f"[{v['lift_ci_low']:+.1%}, {v['lift_ci_high']:+.1%}]"
                if v["lift_ci_low"] is not None
                else "-"
            )
            p = f"{v['p_value']:.3g}" if v["p_value"] is not None else "-"
            win = f"{v['chance_to_win']:.1%}" if v["chance_to_win"] is not None else "-"
            lines.append(
                f"  {v['variant']:<16}{v['users']:>10}{v['conversions']:>10g}{rate:>9}{lift:>9}"
                f"{ci:>20}{p:>9}{win:>8}"
            )
    return "\n".join(lines)
