"""Workflow automation: routine ad-ops work as runs anyone can preview, approve, repeat and undo.

The engine (`engine`): a `Workflow` is a name, a description, a `Params` model (pydantic: typed,
validated, defaults, a description per field), a `plan(params, ctx) -> Plan` that reads the
platforms and proposes the exact `Change`s (platform, account_id, entity_type, entity_id, field,
before, after, reason) without writing anything, and optional follow-up `Step`s. `register()` adds
it to the catalogue; `register_field()` teaches the runner a new kind of change (FieldSpec: read,
write, revert through the connector protocol).

The runner (`runner`, a DBOS workflow in the sidecar) records the run, plans, stops at
`awaiting_approval` before the first change (unless `[workflows.NAME]` allows small moves), applies
each change as an idempotent step with an audit row (`workflow:<run_id>`), compensates on failure,
and publishes `workflow.*` events. The API (`api`) is what the CLI and pages call:

    run_id = workflows.start("bulk", {"action": "pause", "entities": [...]}, dry_run=True)
    workflows.show(run_id)["changes"]
    workflows.approve(run_id, by="Dana")       # a name is required
    workflows.undo(run_id, by="Dana")          # reverts newest first; the run becomes `undone`

See docs/workflows.md for every built-in workflow, its params, approval, undo and settings.
"""

from adops.workflows.api import (
    approve,
    catalogue,
    delete_preset,
    get_preset,
    presets,
    reject,
    runs,
    save_preset,
    show,
    start,
    undo,
    wait,
)
from adops.workflows.engine import (
    Change,
    Context,
    FieldSpec,
    Params,
    Plan,
    Prediction,
    Step,
    Workflow,
    field_spec,
    get,
    register,
    register_field,
    registry,
)

__all__ = [
    "Change",
    "Context",
    "FieldSpec",
    "Params",
    "Plan",
    "Prediction",
    "Step",
    "Workflow",
    "approve",
    "catalogue",
    "delete_preset",
    "field_spec",
    "get",
    "get_preset",
    "presets",
    "register",
    "register_field",
    "registry",
    "reject",
    "runs",
    "save_preset",
    "show",
    "start",
    "undo",
    "wait",
]
