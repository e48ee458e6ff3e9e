"""What a webhook source's rules may say, checked without touching the workspace: payload paths,
`{{ path }}` placeholders, the job kinds a webhook may start and each kind's strict parameter model.

Apart from `triggers` (which reads the settings and queues jobs) so that the settings model can
validate `[[webhooks.sources]]` when it loads without importing what imports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from adops.errors import ConfigError, InputError
from adops.platforms import PLATFORMS

#: a payload path: keys joined by dots, each a letter or _ then letters, digits, _ or -
PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}(\.[A-Za-z_][A-Za-z0-9_\-]{0,63}){0,7}")
PLACEHOLDER = re.compile(r"\{\{\s*(\S+?)\s*\}\}")
_TEMPLATE_MARKS = ("{{", "}}", "{%", "%}", "{#", "#}")
#: the longest payload text a template takes (an id, a platform name, a date)
MAX_VALUE_CHARS = 200
MAX_INT = 2**53


# ---------------------------------------------------------------------------- each kind's params


def _platform(value: str) -> str:
    if value not in PLATFORMS:
        raise PydanticCustomError(
            "platform", "unknown platform; one of {known}", {"known": ", ".join(PLATFORMS)}
        )
    return value


def _day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date", "not a date (YYYY-MM-DD)") from None
    return value


Platform = Annotated[str, Field(max_length=40), AfterValidator(_platform)]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_day)]


class _Params(BaseModel):
    """A job's params as a webhook may set them: strict types, unknown keys refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def to_params(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class SyncParams(_Params):
    """`sync`: which platforms (none: all) and an optional window."""

    platforms: Annotated[list[Platform], Field(max_length=len(PLATFORMS))] = Field(default_factory=list)
    since: Day | None = None
    until: Day | None = None

    @model_validator(mode="after")
    def _window(self) -> SyncParams:
        if self.since and self.until and self.since > self.until:
            raise PydanticCustomError("window", "since is after until")
        return self

    def to_params(self) -> dict[str, Any]:
        return {**super().to_params(), "platforms": sorted(set(self.platforms)), "trigger": "webhook"}


class CheckParams(_Params):
    """`connectors.check`: which platforms' accounts (none: all)."""

    platforms: Annotated[list[Platform], Field(max_length=len(PLATFORMS))] = Field(default_factory=list)

    def to_params(self) -> dict[str, Any]:
        return {"platforms": sorted(set(self.platforms))}


class NoParams(_Params):
    """A kind that takes no params."""


class ApproveParams(_Params):
    """`workflow.approve`: approve a workflow run awaiting approval, naming who (adops.workflows);
    both are usually `{{ path }}` of the payload, so they are checked again when the job runs."""

    run_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+@-]{0,119}$")] | None = None
    by: Annotated[str, Field(min_length=1, max_length=100)] | None = None


#: the kinds a webhook may start, each with its parameter model
TRIGGERABLE: dict[str, type[_Params]] = {
    "sync": SyncParams,
    "connectors.check": CheckParams,
    "experiments.decide": NoParams,
    "warehouse.maintain": NoParams,
    "workflow.approve": ApproveParams,
}


def check_kind(name: str) -> str:
    """A job kind a webhook may start; ConfigError naming the allowed ones otherwise."""
    from adops.jobs import kinds

    try:
        kinds.kind(name)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if name not in TRIGGERABLE:
        raise ConfigError(
            f"{name} jobs cannot be started by a webhook; it may start {', '.join(TRIGGERABLE)}"
        )
    return name


def check_path(path: str) -> str:
    """A payload path (`type`, `data.object.platform`); ConfigError otherwise."""
    if not PATH.fullmatch(path):
        raise ConfigError(
            f"{path[:80]!r} is not a payload path: keys of letters, digits, _ or - joined by dots (at most 8)"
        )
    return path


def placeholders(value: Any, where: str = "") -> Iterable[tuple[str, str]]:
    """(where, path) of each `{{ path }}` in a params template; ConfigError for any other use of braces."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from placeholders(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from placeholders(v, f"{where}[{i}]")
    elif isinstance(value, str) and any(mark in value for mark in _TEMPLATE_MARKS):
        found = PLACEHOLDER.fullmatch(value)
        if found is None or not PATH.fullmatch(found.group(1)):
            raise ConfigError(
                f"{where or 'value'}: a template is a whole value '{{{{ field }}}}' naming a payload path;"
                " nothing else is evaluated"
            )
        yield where, found.group(1)


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """A rule's params template, checked for `kind`: known keys, plain values, well-formed
    templates, and the fixed (untemplated) values valid for the kind; ConfigError naming the key."""
    model = TRIGGERABLE.get(kind)
    if model is None:  # the kind itself is reported
        return params
    for key in params:
        if key not in model.model_fields:
            known = ", ".join(model.model_fields) or "none"
            raise ConfigError(f"{key}: {kind} jobs take no such param (known: {known})")
    _plain(params, "")
    templated = {re.split(r"[.\[]", where, maxsplit=1)[0] for where, _ in placeholders(params)}
    fixed = {k: v for k, v in params.items() if k not in templated}
    try:
        model.model_validate(fixed)
    except ValidationError as exc:
        raise ConfigError(first_error(exc, "")) from None
    return params


def _plain(value: Any, where: str) -> None:
    """Only JSON values in params (TOML dates and times would not survive the job's JSON input)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _plain(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _plain(v, f"{where}[{i}]")
    elif not isinstance(value, str | int | float | bool) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        raise ConfigError(f"{where or 'value'}: expected text, a number, true/false, a list or a table")


def first_error(exc: ValidationError, where: str = "params") -> str:
    error = exc.errors(include_url=False)[0]
    for part in error["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return f"{where}: {error['msg']}" if where else str(error["msg"])
