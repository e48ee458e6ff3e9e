"""`performance-report` and `scheduled-report`: a report rendered, saved in the workspace and sent.

Neither changes a platform, so neither waits for approval and there is nothing to undo. A dry run
renders the HTML (and CSV) preview (step `render`) and says where they would go, without sending;
the PDF, which rasterises every chart, is rendered when the run is applied. The files land in
`$ADOPS_HOME/reports/<run_id>/`; `deliver` sends them once per run (a marker file beside them makes
a step repeated after a crash skip the second send).

`scheduled-report` is the same report for a cron tick: its period is always the last `days`
complete days before the tick, and it must name a channel. Its schedules are `[[reports.schedules]]`
in adops.toml when the settings know that table (docs/reports.md); a preset works as well.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from adops import clock, config, files
from adops.reports.deliver import deliver as send_report
from adops.reports.performance import MAX_DAYS, Report, build
from adops.reports.render import MIME, draw, file_name, render
from adops.workflows.engine import Context, Params, Plan, Step, Workflow, register
from adops.workflows.library.common import PlatformName

Format = Literal["html", "pdf", "csv"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "csv")
Channel = Literal["none", "email", "slack", "discord"]


class ReportParams(Params):
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = Field(7, description="The last N complete days")
    start: date | None = Field(None, description="First day (with end, instead of days)")
    end: date | None = Field(None, description="Last day (with start)")
    platforms: Annotated[list[PlatformName], Field(max_length=6)] = Field(
        default_factory=list, description="Platforms to include (default: all)"
    )
    formats: Annotated[list[Format], Field(min_length=1, max_length=3)] = Field(
        default_factory=lambda: list(FORMATS), description="html, pdf and/or csv"
    )
    channel: Channel = Field(
        "none", description="email (files attached), slack or discord (headline numbers), none"
    )
    title: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        "Performance report", description="The title"
    )

    @model_validator(mode="after")
    def _period(self) -> ReportParams:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither (then days)")
        if self.start is not None and self.end is not None:
            if self.start > self.end:
                raise ValueError("start is after end")
            if (self.end - self.start).days + 1 > MAX_DAYS:
                raise ValueError(f"at most {MAX_DAYS} days")
        return self

    def period(self) -> tuple[date, date]:
        if self.start is not None and self.end is not None:
            return self.start, self.end
        end = clock.today() - timedelta(days=1)
        return end - timedelta(days=self.days - 1), end


class ScheduledReportParams(ReportParams):
    channel: Literal["email", "slack", "discord"] = Field(  # type: ignore[assignment]
        description="Where each tick sends it: email (files attached), slack or discord"
    )


#: reports built by a plan, for its run's render step in the same process (not built twice)
_BUILT: dict[tuple[Any, ...], Report] = {}


def _key(params: ReportParams, run_id: str, start: date, end: date) -> tuple[Any, ...]:
    return (run_id, start, end, tuple(params.platforms), params.title)


def _report(params: ReportParams, ctx: Context) -> Report:
    """The report of the run's planned period: the plan's own when this process built it."""
    start, end = date.fromisoformat(ctx.plan_output["start"]), date.fromisoformat(ctx.plan_output["end"])
    built = _BUILT.pop(_key(params, ctx.run_id, start, end), None)
    return built if built is not None else build(start, end, params.platforms, params.title)


def plan(params: ReportParams, ctx: Context) -> Plan:
    start, end = params.period()
    report = build(start, end, params.platforms, params.title)
    while len(_BUILT) >= 8:  # runs whose render step ran elsewhere or never came
        _BUILT.pop(next(iter(_BUILT)))
    _BUILT[_key(params, ctx.run_id, start, end)] = report
    target = "kept in the workspace only" if params.channel == "none" else f"sent by {params.channel}"
    notes = [
        f"{params.title}: {start} to {end}, {', '.join(params.platforms) or 'every platform'}",
        f"{', '.join(params.formats)} rendered into reports/{ctx.run_id}/ and {target}",
    ]
    if ctx.dry_run:
        notes.append("dry run: the HTML preview (and CSV) only; the PDF is rendered when the run is applied")
    if report.empty:
        notes.append("no data for this period: the report will say so")
    return Plan([], notes, {"start": str(start), "end": str(end), "empty": report.empty})


def _folder(run_id: str) -> Path:
    return files.private_dir(config.home() / "reports" / run_id)


def render_step(params: ReportParams, ctx: Context) -> dict[str, Any]:
    """Write the report's files. A dry run writes what shows the user the report (the HTML, which it
    renders even when only a PDF was asked for, and the CSV) and leaves the PDF, the slow part
    (every chart rasterised, fpdf2), to the applied run: the same numbers, drawn once there."""
    report = _report(params, ctx)
    wanted = list(dict.fromkeys(params.formats))
    later: list[str] = []
    if ctx.dry_run:
        later = [f for f in wanted if f == "pdf"]
        wanted = [f for f in wanted if f != "pdf"]
        if "html" not in wanted:
            wanted.insert(0, "html")
    folder = _folder(ctx.run_id)
    written = []
    drawn = draw(report, png="pdf" in wanted) if {"html", "pdf"} & set(wanted) else []
    for fmt in wanted:
        name, content, _ = render(report, fmt, drawn)
        path = folder / name
        files.private_file(path)  # 0600 before a byte is in it
        path.write_bytes(content)
        written.append({"file": f"reports/{ctx.run_id}/{name}", "bytes": len(content)})
    out: dict[str, Any] = {"files": written}
    if later:
        out["rendered_when_applied"] = later
    return out


def deliver_step(params: ReportParams, ctx: Context) -> dict[str, Any]:
    if params.channel == "none":
        return {"sent": False, "why": "channel none"}
    marker = _folder(ctx.run_id) / "delivered.json"
    if marker.exists():
        return {"sent": True, "repeated": True, **json.loads(marker.read_text())}
    report = _report(params, ctx)
    done = send_report(report, params.channel, params.formats, _rendered(ctx, params.formats))
    out = {"channel": done.channel, "formats": list(done.formats), "detail": done.detail}
    files.write_private(marker, json.dumps(out))
    return {"sent": True, **out}


def _rendered(ctx: Context, formats: list[Format]) -> list[tuple[str, bytes, str]] | None:
    """The files this run's `render` step wrote, to attach as they are (None when one is missing:
    then the delivery renders them itself)."""
    folder = _folder(ctx.run_id)
    out = []
    for fmt in dict.fromkeys(formats):
        name = file_name(ctx.plan_output["start"], ctx.plan_output["end"], fmt)
        path = folder / name
        if not path.is_file():
            return None
        out.append((name, path.read_bytes(), MIME[fmt]))
    return out


STEPS = (Step("render", render_step, in_dry_run=True), Step("deliver", deliver_step))

PERFORMANCE = register(
    Workflow(
        "performance-report",
        "A performance report (HTML with charts, PDF, CSV) of a period, saved in the workspace and "
        "optionally sent by e-mail or Slack.",
        ReportParams,
        plan,
        steps=STEPS,
        category="reports",
    )
)
SCHEDULED = register(
    Workflow(
        "scheduled-report",
        "The performance report of the last N days for a cron schedule, sent by e-mail or Slack on each tick.",
        ScheduledReportParams,
        plan,
        steps=STEPS,
        category="reports",
    )
)
