"""The workflow engine's public vocabulary: a workflow, its params, its changes, its steps, the registry.

A workflow is a named recipe that reads the platforms and the warehouse, proposes an exact list of
`Change`s (its `plan`), waits for approval when it would change a platform, applies each change as
an idempotent DBOS step, then runs its own follow-up `Step`s (notify, render a report, mark an
experiment rolled out). The runner (`adops.workflows.runner`) does the waiting, applying, recording,
compensating and undoing, the same way for every workflow; a workflow only says what to change.

    class MyParams(Params):
        pct: float = Field(0.1, gt=0, le=0.5, description="How much to move")

    def plan(params: MyParams, ctx: Context) -> Plan:
        return Plan([Change("meta", "act_1", "campaign", "42", "status", "ENABLED", "PAUSED", "why")])

    register(Workflow("my-flow", "What it does.", MyParams, plan))

Other packages register their workflows at import (`adops.workflows.builtins` lists the modules the
runner imports), and plug in new kinds of change with `register_field`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from adops.errors import InputError, NotFound

if TYPE_CHECKING:
    from adops.config import AccountConfig
    from adops.connectors.base import Connector

__all__ = [
    "Change",
    "Context",
    "FieldSpec",
    "Params",
    "Plan",
    "Prediction",
    "Step",
    "Workflow",
    "applied_hooks",
    "field_spec",
    "get",
    "on_applied",
    "register",
    "register_field",
    "registry",
]

#: the largest params document a run accepts (JSON characters), as a job's params
MAX_PARAMS_CHARS = 16_000
#: the most changes one run may propose (a bigger bulk operation is several runs)
MAX_CHANGES = 5_000


# ---------------------------------------------------------------------------- params


class Params(BaseModel):
    """A workflow's parameters: typed, validated, with defaults and a description per field.

    Subclass it; `Field(description=...)` documents each parameter (`adops workflow list` and the
    page show it). Unknown keys are refused; values from the CLI arrive as text and are coerced by
    pydantic's lax mode (`--param pct=0.1`), JSON from the page or a preset as typed values.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """Each parameter's name, type, default (None when required), required and description."""
        out = []
        for name, info in cls.model_fields.items():
            required = info.is_required()
            default = None if required else info.get_default(call_default_factory=True)
            out.append(
                {
                    "name": name,
                    "type": _type_name(info.annotation),
                    "default": _plain(default),
                    "required": required,
                    "description": info.description or "",
                }
            )
        return out


def _type_name(annotation: Any) -> str:
    """`integer`, `number | null`, `"pause" | "enable"`, `list[EntityRef]`: what a person types."""
    import types
    import typing

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin in (list, tuple, set):
        return f"list[{', '.join(_type_name(a) for a in args if a is not Ellipsis)}]"
    simple = {str: "text", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if annotation in simple:
        return simple[annotation]
    return str(getattr(annotation, "__name__", annotation)).replace("typing.", "")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple):
        return list(value)
    return value


# ---------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class Change:
    """One change to one platform entity, exactly as it will be made (and shown before approval).

    `field` names a registered `FieldSpec` (`status`, `daily_budget`, `bid`, and what other modules
    add). `entity_id` may be `@KEY`: the id of the entity that the run's change with `key` KEY
    created (a launch creates a campaign, then enables it). `before` is what the platform said when
    planning; the change step reads it again and records the value it actually replaced.
    """

    platform: str
    account_id: str
    entity_type: str
    entity_id: str
    field: str
    before: Any
    after: Any
    reason: str = ""
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The INTERFACES.md shape (platform … reason); `key` only when set."""
        out = {k: v for k, v in asdict(self).items() if k != "key"}
        if self.key:
            out["key"] = self.key
        return out

    @property
    def label(self) -> str:
        """`meta campaign 42 status` — a step's name for this change."""
        return f"{self.platform} {self.entity_type} {self.entity_id} {self.field}"

    def relative_change(self) -> float | None:
        """|after/before − 1| for a number (budgets, bids); None for anything else."""
        if isinstance(self.before, bool) or isinstance(self.after, bool):
            return None
        if not isinstance(self.before, int | float) or not isinstance(self.after, int | float):
            return None
        if not self.before or not math.isfinite(self.before) or not math.isfinite(self.after):
            return None
        return abs(self.after / self.before - 1.0)


@dataclass(frozen=True)
class FieldSpec:
    """How the runner reads, writes and reverts one kind of change through a connector.

    `read(conn, account_id, entity_type, entity_id)` → the current value (for idempotency: a step
    run again after a crash finds the value already written and records it without writing again).
    `write(conn, account_id, entity_type, entity_id, value)` → for a creation, the new entity's id;
    otherwise anything (ignored). `revert(conn, account_id, entity_type, entity_id, before)` undoes
    one change; by default it writes `before` back.
    """

    name: str
    read: Callable[[Connector, str, str, str], Any]
    write: Callable[[Connector, str, str, str, Any], Any]
    revert: Callable[[Connector, str, str, str, Any], Any] | None = None
    #: entity types this field applies to
    entity_types: tuple[str, ...] = ("campaign", "ad_group", "ad")
    #: whether `read` can answer for an entity a change creates (creations are not read first)
    creates: bool = False

    def check(self, change: Change) -> None:
        if change.entity_type not in self.entity_types:
            raise InputError(
                f"{self.name} changes apply to {', '.join(self.entity_types)}, not {change.entity_type}"
            )


_FIELDS: dict[str, FieldSpec] = {}
_lock = threading.Lock()


def register_field(spec: FieldSpec) -> FieldSpec:
    """Add (or replace) a kind of change the runner knows how to apply."""
    with _lock:
        _FIELDS[spec.name] = spec
    return spec


def field_spec(name: str) -> FieldSpec:
    from adops.workflows import builtins

    builtins.load()  # the built-in fields and workflows register themselves
    found = _FIELDS.get(name)
    if found is None:
        raise InputError(f"unknown change field {name[:40]!r}; known: {', '.join(sorted(_FIELDS))}")
    return found


#: what runs once a run's changes are applied: hook(run_id, workflow, applied, predictions) -> dict
AppliedHook = Callable[[str, str, list[dict[str, Any]], list[dict[str, Any]]], dict[str, Any]]
_APPLIED: dict[str, AppliedHook] = {}


def on_applied(name: str, hook: AppliedHook) -> AppliedHook:
    """Call `hook` after every run's changes are applied (the memory keeps what the run predicted).

    `applied` are the changes made (`Change.to_dict()` with the created entity's id and the value
    each replaced), `predictions` the workflow's own (`Plan.predictions`, as dicts). The hook runs
    as a durable step: it must be safe to repeat. Registered by a module listed in
    `adops.workflows.builtins.MODULES`, so the engine never imports it.
    """
    with _lock:
        _APPLIED[name] = hook
    return hook


def applied_hooks() -> dict[str, AppliedHook]:
    from adops.workflows import builtins

    builtins.load()
    return dict(_APPLIED)


# ---------------------------------------------------------------------------- plans and steps


@dataclass(frozen=True)
class Prediction:
    """What a run's changes are expected to do to one entity's metric over a follow-up window.

    A workflow that has its own numbers (the optimizer's expected conversions, a pacing projection)
    returns them with its plan; for every other changed entity the memory (`adops.intelligence.
    predictions`) predicts from the entity's recent history, with a wide interval, and says so in
    `basis`. `metric` is `spend`, `clicks`, `conversions` or `conversion_value`; `delta` is the
    change over `window_days` against the entity left alone, `low`/`high` its interval.
    """

    platform: str
    account_id: str
    entity_type: str
    entity_id: str
    metric: str
    delta: float
    low: float
    high: float
    window_days: int = 28
    basis: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    """What a workflow's `plan` returns: the exact changes, and notes/outputs for the reader.

    `predictions`: what the changes are expected to do, from the workflow's own numbers (optional;
    entities without one get the memory's history-based prediction when the run is applied).
    """

    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    predictions: list[Prediction] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """A follow-up step of a workflow, run after its changes (or when it proposes none).

    `fn(params, ctx)` returns a JSON-ready dict (the step's output, recorded and shown). A step runs
    in a dry run only with `in_dry_run` (say, rendering a report but not sending it). Like a change,
    a step may run twice after a crash: make it safe to repeat (publish with a stable key, ...).
    """

    name: str
    fn: Callable[[Any, Context], dict[str, Any]]
    in_dry_run: bool = False


@dataclass
class Context:
    """What a workflow's plan and steps may use: who runs it, the run's id, the platforms."""

    run_id: str
    workflow: str
    dry_run: bool
    actor: str = ""
    #: the run's applied changes (filled before the follow-up steps)
    applied: list[Change] = field(default_factory=list)
    #: the plan's output (filled before the follow-up steps)
    plan_output: dict[str, Any] = field(default_factory=dict)
    _connectors: dict[tuple[str, str], Connector] = field(default_factory=dict, repr=False)
    _accounts: list[AccountConfig] | None = field(default=None, repr=False)
    _world: Any = field(default=None, repr=False)

    def accounts(self, platforms: Sequence[str] = ()) -> list[AccountConfig]:
        """The workspace's accounts (configured, else the sandbox's), optionally of some platforms."""
        if self._accounts is None:
            from adops import config
            from adops.connectors import workspace_accounts

            self._accounts = workspace_accounts(config.load())
        wanted = set(platforms)
        return [a for a in self._accounts if not wanted or a.platform in wanted]

    def connector(self, platform: str, account_id: str) -> Connector:
        """The connector of one workspace account (kept for the run; sandbox accounts share one
        simulated world, built once per run instead of once per account)."""
        key = (platform, account_id)
        if key not in self._connectors:
            from adops.connectors import connector_for

            found = next((a for a in self.accounts([platform]) if a.id == account_id), None)
            if found is None:
                raise NotFound(f"no {platform} account {account_id[:100]!r} in this workspace")
            if found.connector == "sandbox":
                from adops.connectors.sandbox import SandboxConnector, load_world

                if self._world is None:
                    self._world = load_world()
                self._connectors[key] = SandboxConnector(platform, world=self._world)
            else:
                self._connectors[key] = connector_for(found)
        return self._connectors[key]


# ---------------------------------------------------------------------------- workflows


@dataclass(frozen=True)
class Workflow:
    """A registered workflow. `plan(params, ctx)` reads and proposes (never writes); `steps` follow.

    `apply` / `undo` replace the runner's change-by-change application for a workflow that hands its
    whole change set to an existing module with its own guardrails (budget-optimization hands it to
    `adops.optimize.apply`): `apply(params, ctx, changes)` returns the changes it made (with the
    values they replaced as `before`), `undo(params, ctx, applied)` reverts them. Both must be safe
    to run twice.
    """

    name: str
    description: str
    params: type[Params]
    plan: Callable[[Any, Context], Plan]
    steps: tuple[Step, ...] = ()
    apply: Callable[[Any, Context, list[Change]], list[Change]] | None = None
    undo: Callable[[Any, Context, list[Change]], None] | None = None
    #: the category the page groups by
    category: str = "optimization"

    NAME_PATTERN: ClassVar[str] = r"^[a-z][a-z0-9-]{1,62}$"

    def parse(self, values: dict[str, Any] | None) -> Params:
        """The params, validated; InputError naming the first wrong or unknown one."""
        try:
            return self.params.model_validate(values or {})
        except ValidationError as exc:
            raise InputError(f"{self.name}: {_first_error(exc)}") from None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "params": self.params.describe(),
        }


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "params"
    if err["type"] == "extra_forbidden":
        return f"unknown param {where[:60]!r}"
    if err["type"] == "missing":
        return f"param {where!r} is required"
    return f"param {where!r}: {err['msg']}"


_REGISTRY: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    """Add a workflow to the catalogue (a second registration under the same name replaces it)."""
    import re

    if not re.fullmatch(Workflow.NAME_PATTERN, workflow.name):
        raise ValueError(f"workflow name {workflow.name!r}: lowercase letters, digits and -")
    with _lock:
        _REGISTRY[workflow.name] = workflow
    return workflow


def registry() -> dict[str, Workflow]:
    """Every registered workflow by name (the built-ins are imported on first use)."""
    from adops.workflows import builtins

    builtins.load()
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> Workflow:
    """The workflow called `name`; InputError listing the known ones otherwise."""
    found = registry().get(str(name))
    if found is None:
        raise InputError(f"unknown workflow {str(name)[:80]!r}; known: {', '.join(registry())}")
    return found


def iter_changes(items: Sequence[Change]) -> Iterator[tuple[int, Change]]:
    """Changes with their positions, checked: known fields, at most MAX_CHANGES."""
    if len(items) > MAX_CHANGES:
        raise InputError(f"{len(items):,} changes in one run; at most {MAX_CHANGES:,}: split it")
    for i, c in enumerate(items):
        field_spec(c.field).check(c)
        yield i, c
