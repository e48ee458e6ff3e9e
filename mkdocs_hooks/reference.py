"""MkDocs hook: the reference pages written from the code at build time, and a nav that takes new pages.

Generated (under docs/reference/, never committed): every `adops` command with its options (walked
from the Typer app), the sidecar's HTTP API (adops.sidecar.openapi, also copied as openapi.json),
the warehouse tables (adops.warehouse.tables), the store's tables (the SQLAlchemy models), every
event type with its fields (found by reading every `publish(...)` call in adops/), and every job
kind and workflow with its parameters. A docs/*.md page missing from mkdocs.yml's nav is added
under "User guide", so pages written by others appear without an edit here.

Each `*_page()` function returns Markdown and is importable on its own (tests/test_docs_site.py).
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # mkdocs loads this file by path; the project's package sits beside it
    sys.path.insert(0, str(ROOT))

GENERATED_NOTE = "_Generated from the code when the site is built; edit the code, not this page._\n"


# --- the CLI -------------------------------------------------------------------------------------


def cli_page() -> str:
    """Every `adops` command, from the click command tree Typer builds (so it cannot drift)."""
    import typer

    from adops import cli

    root = typer.main.get_command(cli.app)
    out = ["# Every command\n", GENERATED_NOTE]
    out.append(
        "How to use them, with examples: [CLI](../cli.md). Bad input exits 2 with one line on stderr.\n"
    )
    for path, command in _walk(root, "adops"):
        if path == "adops" or _is_group(command):
            continue
        out.append(f"## `{path}`\n")
        out.append(_md(command.help or command.short_help or "") + "\n")
        ctx = type(command).context_class(command, info_name=path)
        rows = [_param_row(param, ctx) for param in command.params if param.name != "help"]
        if rows:
            out.append("| argument or option | meaning |\n|---|---|")
            out.extend(rows)
            out.append("")
    return "\n".join(out) + "\n"


def command_names() -> list[str]:
    """`adops …` paths of every runnable command (what cli_page documents)."""
    import typer

    from adops import cli

    root = typer.main.get_command(cli.app)
    return [p for p, c in _walk(root, "adops") if p != "adops" and not _is_group(c)]


def _is_group(command: Any) -> bool:
    """Typer ships its own copy of click: groups are known by their methods, not by click's class."""
    return hasattr(command, "list_commands")


def _walk(command: Any, path: str) -> Iterable[tuple[str, Any]]:
    yield path, command
    if _is_group(command):
        ctx = type(command).context_class(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                yield from _walk(sub, f"{path} {name}")


def _param_row(param: Any, ctx: Any) -> str:
    """One row: the option's or argument's usage as `--help` prints it, and its help with defaults."""
    record = param.get_help_record(ctx)
    usage, meaning = record if record else (param.human_readable_name, getattr(param, "help", "") or "")
    if param.param_type_name == "argument":
        usage = f"{usage} (argument{', required' if param.required else ''})"
    return f"| `{_md(usage)}` | {_md(meaning)} |"


def _md(text: str) -> str:
    """One table-safe line of Markdown."""
    return " ".join(str(text).split()).replace("|", "\\|")


# --- the HTTP API --------------------------------------------------------------------------------


def http_api_page() -> str:
    from adops.sidecar.openapi import document

    doc = document()
    out = ["# Sidecar HTTP API\n", GENERATED_NOTE]
    out.append(
        f"{doc['info']['description']}\n\nThe sidecar serves this document at `GET /openapi.json`; "
        "a copy is [openapi.json](openapi.json). How the stream, the webhooks and their limits work: "
        "[Sidecar](../sidecar.md).\n"
    )
    for path, item in doc["paths"].items():
        for method, op in item.items():
            out.append(f"## `{method.upper()} {path}`\n\n{op['summary']}.\n")
            if op.get("description"):
                out.append(op["description"] + "\n")
            security = [next(iter(s), "none") for s in op.get("security", [])]
            if security:
                out.append("Authorization: " + ", ".join(f"`{s}`" for s in security) + "\n")
            params = op.get("parameters", [])
            if params:
                out.append("| parameter | in | schema | meaning |\n|---|---|---|---|")
                for p in params:
                    schema = json.dumps(p.get("schema", {}))
                    out.append(
                        f"| `{p['name']}` | {p['in']} | `{schema}` | {_md(p.get('description', ''))} |"
                    )
                out.append("")
            body = op.get("requestBody")
            if body:
                for media, content in body["content"].items():
                    out.append(f"Body (`{media}`): `{json.dumps(content.get('schema', {}))}`\n")
            out.append("| status | answer |\n|---|---|")
            for status, answer in op["responses"].items():
                out.append(f"| {status} | {_md(answer['description'])} |")
            out.append("")
    out.append("## Schemas\n")
    for name, schema in doc["components"]["schemas"].items():
        out.append(f"### `{name}`\n\n```json\n{json.dumps(schema, indent=2)}\n```\n")
    return "\n".join(out) + "\n"


# --- the warehouse and the store -----------------------------------------------------------------


def warehouse_schema_page() -> str:
    from adops.warehouse.tables import ROLLUPS, TABLES

    out = ["# Warehouse schema\n", GENERATED_NOTE]
    out.append(
        "Delta tables under `$ADOPS_HOME/warehouse/`, read through DuckDB views of the same names "
        "([Warehouse](../warehouse.md)). The unique key is what a sync upserts on.\n"
    )
    for name, table in TABLES.items():
        out.append(f"## `{name}`\n\nUnique key: {', '.join(f'`{k}`' for k in table.key)}\n")
        out.append("| column | type | nullable |\n|---|---|---|")
        for field in table.schema:
            out.append(f"| `{field.name}` | `{field.type}` | {'yes' if field.nullable else 'no'} |")
        out.append("")
    for name, (base, sql) in ROLLUPS.items():
        out.append(f"## `{name}` (a view over `{base}`)\n\n```sql\n{' '.join(sql.split())}\n```\n")
    return "\n".join(out) + "\n"


def store_schema_page() -> str:
    from adops.store.models import Base

    _import_models()

    out = ["# Operational store schema\n", GENERATED_NOTE]
    out.append(
        "SQLAlchemy models in `adops/store/models.py`, created and changed by the Alembic migrations in "
        "`adops/store/migrations/versions/`; SQLite by default, PostgreSQL by `ADOPS_DATABASE_URL`.\n"
    )
    for table in Base.metadata.sorted_tables:
        out.append(f"## `{table.name}`\n")
        if table.comment:
            out.append(_md(table.comment) + "\n")
        out.append("| column | type | null | key |\n|---|---|---|---|")
        for col in table.columns:
            keys = []
            if col.primary_key:
                keys.append("primary")
            keys += [f"→ `{fk.target_fullname}`" for fk in col.foreign_keys]
            if col.unique:
                keys.append("unique")
            out.append(
                f"| `{col.name}` | `{col.type}` | {'yes' if col.nullable else 'no'} | {' '.join(keys)} |"
            )
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            cols = ", ".join(c.name for c in index.columns)
            out.append(f"\n{'Unique index' if index.unique else 'Index'} `{index.name}`: {cols}")
        out.append("")
    return "\n".join(out) + "\n"


def _import_models() -> None:
    """Import every module that declares a table on the store's `Base`, wherever it lives in adops/
    (a capability may keep its models beside it), so the page lists every table."""
    import importlib
    import re

    declares = re.compile(r"^class \w+\((?:models\.)?Base\)", re.M)
    for path in sorted((ROOT / "adops").rglob("*.py")):
        if declares.search(path.read_text()):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))


# --- events --------------------------------------------------------------------------------------

_PUBLISHERS = {"publish", "_publish"}


def event_catalogue(package: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every event type published in adops/: {type: {"fields": sorted names, "where": ["path:line"]}}.

    Read from the source, not run. Found: each `publish(type, data)` call, also through a module's
    own `_publish` wrapper or handed to a step (`step("x", _publish, type, data)`); a type written as
    a literal, a module constant, or a name unpacked from `type, data = CONSTANT, {...}`; and rows
    inserted as `{"type": "...", "data": ...}`. The fields are the data dict's literal keys, those of
    a dict it spreads, or those of the dict the named helper returns. A wrapper that passes its own
    parameter on is skipped (its callers are found instead); any other type built at run time is
    listed as `<dynamic>` with its place, so nothing published goes unmentioned.
    """
    package = package or ROOT / "adops"
    found: dict[str, dict[str, Any]] = {}

    def add(type_: str, fields: set[str], where: str) -> None:
        entry = found.setdefault(type_, {"fields": set(), "where": []})
        entry["fields"] |= fields
        entry["where"].append(where)

    parsed = [(path, ast.parse(path.read_text(), str(path))) for path in sorted(package.rglob("*.py"))]
    # wrappers such as `records.publish(type, run, **data)`: the fields they add themselves
    wrappers: dict[tuple[str, str], set[str]] = {}
    for path, tree in parsed:
        module = _Module(tree)
        for name, helper in module.helpers.items():
            if name in _PUBLISHERS and _forwards_type(helper):
                inner = [_publish_args(n) for n in ast.walk(helper) if isinstance(n, ast.Call)]
                wrappers[(path.stem, name)] = {
                    k for args in inner if args and args[1] is not None for k in module.keys(args[1], helper)
                }

    for path, tree in parsed:
        module = _Module(tree)
        rel = path.relative_to(package.parent).as_posix()
        for func, node in _calls_and_rows(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Dict):
                row = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                type_ = module.string(row["type"])
                if type_ is not None:
                    add(type_, module.keys(row["data"]), where)
                continue
            args = _publish_args(node) if isinstance(node, ast.Call) else None
            if args is None or (isinstance(node, ast.Call) and _name(node.func) in module.not_publishers):
                continue
            type_node, data_node = args
            params = {a.arg for a in func.args.args} if func is not None else set()
            if isinstance(type_node, ast.Name) and type_node.id in params:
                continue  # a wrapper passing its caller's type on
            if data_node is None and not isinstance(type_node, ast.Constant | ast.JoinedStr):
                continue  # another `_publish` (a warehouse snapshot), not an event
            types = module.strings(type_node, func)
            if types:
                fields = module.keys(data_node, func) | _wrapper_fields(node, path.stem, wrappers)
                for type_ in types:
                    add(type_, fields, where)
                continue
            pairs = module.unpacked(type_node, data_node, func)
            for type_, fields in pairs:
                add(type_, fields, where)
            if not pairs:
                add("<dynamic>", set(), where)
    return {t: {"fields": sorted(e["fields"]), "where": e["where"]} for t, e in sorted(found.items())}


def _calls_and_rows(tree: ast.AST) -> Iterable[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, ast.AST]]:
    """Each call and each `{"type": ..., "data": ...}` literal, with the function it sits in."""

    def visit(node: ast.AST, func: ast.FunctionDef | ast.AsyncFunctionDef | None) -> Iterable[Any]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
            if isinstance(child, ast.Call):
                yield inner, child
            elif isinstance(child, ast.Dict):
                keys = {k.value for k in child.keys if isinstance(k, ast.Constant)}
                if {"type", "data"} <= keys:
                    yield inner, child
            yield from visit(child, inner)

    yield from visit(tree, None)


def _publish_args(call: ast.Call) -> tuple[ast.expr, ast.expr | None] | None:
    """(type, data) of a publish call, or of a call handed the publisher as an argument."""
    args = list(call.args)
    keywords = {k.arg: k.value for k in call.keywords}
    if _name(call.func) in _PUBLISHERS:
        type_ = args[0] if args else keywords.get("type")
        data = args[1] if len(args) > 1 else keywords.get("data")
        return (type_, data) if type_ is not None else None
    for i, arg in enumerate(args):
        if _name(arg) in _PUBLISHERS and len(args) > i + 1:
            return args[i + 1], args[i + 2] if len(args) > i + 2 else None
    return None


class _Module:
    """What one module's source says about names: string constants, dicts assigned to names."""

    def __init__(self, tree: ast.Module) -> None:
        self.constants: dict[str, str] = {}
        self.helpers = {
            n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        #: this module's own `_publish`-named helpers that do not take an event type first (a helper
        #: that publishes fixed types is read where it calls `publish`; calls to it are not events)
        self.not_publishers = {
            name for name, func in self.helpers.items() if name in _PUBLISHERS and not _forwards_type(func)
        }
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and isinstance(node.value.value, str):
                        self.constants[t.id] = node.value.value

    def string(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.JoinedStr):
            return "".join(str(v.value) if isinstance(v, ast.Constant) else "{…}" for v in node.values)
        return None

    def strings(self, node: ast.expr, scope: ast.AST | None = None, depth: int = 0) -> list[str]:
        """Every text the expression can be: literals, constants, `a if c else b`, `+`, f-strings
        (a part that is none of these shows as `{…}`); [] when nothing is known."""
        if depth > 4:
            return []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return [self.constants[node.id]]
            if scope is not None:
                return [
                    t
                    for target, value in _assignments(scope)
                    if target == node.id
                    for t in self.strings(value, scope, depth + 1)
                ]
            return []
        if isinstance(node, ast.IfExp):
            return self.strings(node.body, scope, depth + 1) + self.strings(node.orelse, scope, depth + 1)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):  # {...}[key]
            return sorted({t for v in node.value.values for t in self.strings(v, scope, depth + 1)})
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = (
                self.strings(node.left, scope, depth + 1),
                self.strings(node.right, scope, depth + 1),
            )
            return [a + b for a in left for b in right]
        if isinstance(node, ast.JoinedStr):
            texts = [""]
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    options = self.strings(part.value, scope, depth + 1) or ["{…}"]
                else:
                    options = self.strings(part, scope, depth + 1)
                texts = [a + b for a in texts for b in options]
            return texts
        return []

    def keys(self, node: ast.expr | None, scope: ast.AST | None = None, depth: int = 0) -> set[str]:
        """The literal keys of a data argument."""
        keys: set[str] = set()
        if node is None or depth > 4:
            return keys
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    keys.add(k.value)
                elif k is None:  # {**other, ...}
                    keys |= self.keys(v, scope, depth + 1)
        elif isinstance(node, ast.Call) and _name(node.func) in self.helpers:
            for sub in ast.walk(self.helpers[_name(node.func)]):
                if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Dict):
                    keys |= self.keys(sub.value, scope, depth + 1)
        elif isinstance(node, ast.Name) and scope is not None:
            for target, value in _assignments(scope):
                if target == node.id and isinstance(value, ast.Dict) and value is not node:
                    keys |= self.keys(value, None, depth + 1) | self._spread(value, scope, depth)
        return keys

    def _spread(self, value: ast.Dict, scope: ast.AST, depth: int) -> set[str]:
        out: set[str] = set()
        for k, v in zip(value.keys, value.values, strict=True):
            if k is None and isinstance(v, ast.Name):
                for target, other in _assignments(scope):
                    if target == v.id and isinstance(other, ast.Dict) and other is not value:
                        out |= self.keys(other, None, depth + 1)
        return out

    def unpacked(
        self, type_node: ast.expr, data_node: ast.expr | None, func: ast.AST | None
    ) -> list[tuple[str, set[str]]]:
        """`type, data = CONSTANT, {...}` pairs in the enclosing function for a Name type argument."""
        if not isinstance(type_node, ast.Name) or func is None:
            return []
        pairs = []
        for node in ast.walk(func):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)):
                continue
            for target in node.targets:
                if not isinstance(target, ast.Tuple):
                    continue
                names = [t.id if isinstance(t, ast.Name) else "" for t in target.elts]
                if type_node.id not in names:
                    continue
                type_ = self.string(node.value.elts[names.index(type_node.id)])
                fields: set[str] = set()
                if isinstance(data_node, ast.Name) and data_node.id in names:
                    data = node.value.elts[names.index(data_node.id)]
                    fields = self.keys(data, func) | (
                        self._spread(data, func, 0) if isinstance(data, ast.Dict) else set()
                    )
                if type_ is not None:
                    pairs.append((type_, fields))
        return pairs


def _wrapper_fields(call: ast.AST, stem: str, wrappers: dict[tuple[str, str], set[str]]) -> set[str]:
    """The fields a wrapper called here adds (`records.publish(...)`, `_publish(...)`), with the
    keyword arguments the call passes on to it as data."""
    if not isinstance(call, ast.Call):
        return set()
    func = call.func
    owner = stem
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = func.value.id
    found = wrappers.get((owner, _name(func)))
    if found is None:
        return set()
    return found | {k.arg for k in call.keywords if k.arg and k.arg not in ("bind", "type", "data")}


def _forwards_type(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the helper hands its first parameter on as the type of a publish call inside it."""
    if not func.args.args:
        return False
    first = func.args.args[0].arg
    for node in ast.walk(func):
        if isinstance(node, ast.Call):
            args = _publish_args(node)
            if args is not None and isinstance(args[0], ast.Name) and args[0].id == first:
                return True
    return False


def _assignments(scope: ast.AST) -> Iterable[tuple[str, ast.expr]]:
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    yield t.id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id, node.value


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def events_page() -> str:
    catalogue = event_catalogue()
    out = ["# Events\n", GENERATED_NOTE]
    out.append(
        "Every event is stored in the operational store's `events` table first and then sent on the "
        "sidecar's stream (`GET /events`, [Sidecar](../sidecar.md)); filter with `?types=job.*`. "
        "The fields are those of the event's `data` object.\n"
    )
    out.append("| type | fields | published in |\n|---|---|---|")
    for type_, entry in catalogue.items():
        fields = ", ".join(f"`{f}`" for f in entry["fields"]) or "—"
        type_ = "(any type a caller sends)" if type_ == "<dynamic>" else f"`{type_}`"
        where = "<br>".join(f"`{w}`" for w in entry["where"])
        out.append(f"| {type_} | {fields} | {where} |")
    return "\n".join(out) + "\n"


# --- jobs and workflows --------------------------------------------------------------------------


def workflows_page() -> str:
    from adops.jobs.kinds import KINDS, QUEUES
    from adops.jobs.trigger_rules import TRIGGERABLE

    out = ["# Jobs and workflows\n", GENERATED_NOTE]
    out.append("Background work runs as durable jobs in the sidecar ([Jobs](../jobs.md)).\n")
    out.append("## Queues\n\n| queue | at once | for |\n|---|---|---|")
    for q in QUEUES.values():
        out.append(f"| `{q.name}` | {q.concurrency} | {_md(q.purpose)} |")
    out.append("\n## Job kinds\n")
    out.append("| kind | title | queue | started by | params a webhook may set |\n|---|---|---|---|---|")
    for k in KINDS.values():
        model = TRIGGERABLE.get(k.name)
        fields = _model_fields(model) if model is not None else "—"
        who = "people, schedules" + (", webhooks" if model is not None else "") if k.public else "the sidecar"
        out.append(f"| `{k.name}` | {k.title} | `{k.queue}` | {who} | {fields} |")
    out.append("\n## Workflows\n")
    workflows = list(_workflow_registry())
    if not workflows:
        out.append("No workflow is registered in `adops.workflows` yet.\n")
    for name, description, params in workflows:
        out.append(f"### `{name}`\n\n{_md(description)}\n")
        if params:
            out.append("| parameter | type | default | meaning |\n|---|---|---|---|")
            out.extend(f"| `{p}` | {t} | {d} | {_md(m)} |" for p, t, d, m in params)
            out.append("")
    return "\n".join(out) + "\n"


def _model_fields(model: Any) -> str:
    fields = getattr(model, "model_fields", {})
    if not fields:
        return "none"
    return ", ".join(f"`{name}`" for name in fields)


def _workflow_registry() -> Iterable[tuple[str, str, list[tuple[str, str, str, str]]]]:
    """(name, description, [(param, type, default, meaning)]) for each workflow `adops.workflows`
    registers: its `catalogue()`, else whichever of `registry()`, `REGISTRY`, `WORKFLOWS` or `all()` it exposes."""
    try:
        import adops.workflows as workflows  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    catalogue = getattr(workflows, "catalogue", None)
    if callable(catalogue):  # the package's own description of each workflow
        for entry in catalogue():
            rows = [
                (
                    str(p["name"]),
                    str(p.get("type", "")),
                    "required" if p.get("required") else f"`{p.get('default')}`",
                    str(p.get("description", "")),
                )
                for p in entry.get("params", [])
            ]
            category = f" ({entry['category']})" if entry.get("category") else ""
            yield str(entry["name"]), f"{entry.get('description', '')}{category}", rows
        return
    registry: Any = None
    for attr in ("registry", "REGISTRY", "WORKFLOWS", "all"):
        value = getattr(workflows, attr, None)
        if value is not None:
            registry = value() if callable(value) and not isinstance(value, type) else value
            break
    if registry is None:
        return
    items = (
        registry.items()
        if isinstance(registry, dict)
        else ((getattr(w, "name", str(w)), w) for w in registry)
    )
    for name, workflow in items:
        description = getattr(workflow, "description", None) or getattr(workflow, "title", None) or ""
        if not description:
            description = (getattr(workflow, "__doc__", None) or "").strip().split("\n")[0]
        yield str(name), str(description), _params_of(workflow)


def _params_of(workflow: Any) -> list[tuple[str, str, str, str]]:
    model = getattr(workflow, "params", None) or getattr(workflow, "Params", None)
    schema: dict[str, Any] = {}
    if model is not None and hasattr(model, "model_json_schema"):
        schema = model.model_json_schema()
    elif isinstance(model, dict):
        schema = {"properties": model}
    rows = []
    for name, prop in schema.get("properties", {}).items():
        prop = prop if isinstance(prop, dict) else {"description": str(prop)}
        kind = prop.get("type") or " \\| ".join(str(a.get("type", "?")) for a in prop.get("anyOf", [])) or ""
        default = f"`{prop['default']}`" if "default" in prop else "required"
        rows.append((name, str(kind), default, str(prop.get("description", prop.get("title", "")))))
    return rows


# --- MkDocs events -------------------------------------------------------------------------------

PAGES = {
    "reference/cli.md": cli_page,
    "reference/http-api.md": http_api_page,
    "reference/warehouse-schema.md": warehouse_schema_page,
    "reference/store-schema.md": store_schema_page,
    "reference/events.md": events_page,
    "reference/workflows.md": workflows_page,
}


def on_config(config: Any) -> Any:
    """Add every docs/*.md page the nav does not name to the user guide (sorted by path)."""
    nav = config["nav"]
    named = set(_nav_files(nav)) | set(PAGES)
    docs = Path(config["docs_dir"])
    extra = sorted(
        p.relative_to(docs).as_posix()
        for p in docs.rglob("*.md")
        if p.relative_to(docs).as_posix() not in named and not p.name.startswith(("_", "."))
    )
    if extra:
        guide = next(item for item in nav if isinstance(item, dict) and "User guide" in item)
        guide["User guide"].extend({_title(docs / p): p} for p in extra)
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    from adops.sidecar.openapi import document

    for path, make in PAGES.items():
        files.append(File.generated(config, path, content=make()))
    files.append(File.generated(config, "reference/openapi.json", content=json.dumps(document(), indent=2)))
    return files


def _nav_files(nav: Any) -> Iterable[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_files(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_files(value)


def _title(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("_", " ").replace("-", " ").capitalize()
