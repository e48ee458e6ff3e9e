"""A big sync spread over the workers: the reading runs in parallel, only the commit is serialised.

A sync job over many accounts (more than `part_accounts()`, 100 unless `ADOPS_SYNC_PART_ACCOUNTS`
says otherwise) does not read them all in its own process. It splits them into parts of that many
accounts and queues one `sync.part` job per part on the `sync_parts` queue, which every worker
listens to, one part at a time per worker. A part reads and converts its accounts exactly as a
plain sync does (`adops.ingest.sync._fetch_all`: the same plan, connectors, validation and
`sync_account_runs` rows) and stages the rows as Arrow IPC files under the warehouse root
(`_staging/<sync job>/<part job>/<table>.arrow`, on object storage too, so workers on other
machines share them). The sync job, which holds the warehouse writers' lock the whole time as
before, waits for its parts, reads the staged rows and commits them as one snapshot.

Why: reading (simulation, HTTP, conversion, validation) is almost all of a sync's time, and one
process does it on one core (the GIL); the Delta commit is a few per cent of it. Several workers
can only help if they read in parallel, while the warehouse keeps one writer.

Exactly once: a part job that dies is recovered by another worker (`adops.jobs.peers`) and reads
its accounts again, replacing its staged files and its accounts' rows of the run; the sync job
commits once, whatever its parts did. A sync job that dies is recovered as a whole (a new run;
the old one is closed as interrupted), and its staging folder is removed when it ends.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import asdict
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import and_, delete, or_

from adops import config, store
from adops.config import AccountConfig, Config
from adops.connectors import workspace_accounts
from adops.errors import ConfigError
from adops.ingest.sync import AccountResult, Progress, _concat, _fetch_all
from adops.warehouse import storage

#: accounts per part when ADOPS_SYNC_PART_ACCOUNTS is not set
PART_ACCOUNTS = 100
STAGING = "_staging"
KIND = "sync.part"
#: how often the sync job looks at its parts (seconds)
POLL_S = 0.25


def part_accounts() -> int:
    """Accounts per part (`ADOPS_SYNC_PART_ACCOUNTS`, 1-100,000; 100 by default)."""
    raw = os.environ.get("ADOPS_SYNC_PART_ACCOUNTS", "").strip()
    if not raw:
        return PART_ACCOUNTS
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100_000:
        raise ConfigError(
            f"ADOPS_SYNC_PART_ACCOUNTS must be a whole number from 1 to 100,000, not {raw[:40]!r}"
        )
    return int(raw)


def fetch_spread(
    cfg: Config,
    accounts: list[AccountConfig],
    since: date | None,
    until: date | None,
    run_id: int,
    progress: Progress | None,
) -> tuple[list[AccountResult], list[dict[str, pa.Table]]]:
    """`_fetch_all`'s contract (account results, row batches), with the accounts read by `sync.part`
    jobs on any worker when there are more than `part_accounts()`; called inside the sync job."""
    size = part_accounts()
    if len(accounts) <= size:
        return _fetch_all(cfg, accounts, since, until, run_id, progress)
    from dbos import DBOS

    from adops.jobs import kinds, system

    parent = str(DBOS.workflow_id or kinds.new_id("sync"))
    staging = storage.join(cfg.warehouse_uri, STAGING, parent)
    client = system.client()
    ids = []
    for start in range(0, len(accounts), size):
        params = {
            "run_id": run_id,
            "accounts": [a.key for a in accounts[start : start + size]],
            "since": str(since) if since else None,
            "until": str(until) if until else None,
            "staging": staging,
        }
        options = kinds.options(KIND, params, kinds.new_id(KIND), dedupe=False)
        ids.append(str(client.enqueue(options, params).get_workflow_id()))  # type: ignore[arg-type]
    try:
        outputs = _wait(client, ids, len(accounts), progress)
        results: list[AccountResult] = []
        batches: list[dict[str, pa.Table]] = []
        for job_id, accs in zip(
            ids, (accounts[i : i + size] for i in range(0, len(accounts), size)), strict=True
        ):
            out = outputs[job_id]
            if isinstance(out, str):  # the part failed as a whole (a bug): its accounts failed
                results += [_failed(a, out) for a in accs]
                continue
            results += [_result(r) for r in out["accounts"]]
            batches.append({name: _read(uri) for name, uri in out["staged"].items()})
        return results, batches
    finally:
        storage.remove_tree(staging)


def _wait(client: Any, ids: list[str], total: int, progress: Progress | None) -> dict[str, Any]:
    """Each part's output (or its error text) once every part has ended; progress per finished part."""
    outputs: dict[str, Any] = {}
    done = 0
    while len(outputs) < len(ids):
        time.sleep(POLL_S)
        pending = [i for i in ids if i not in outputs]
        for w in client.list_workflows(workflow_ids=pending, load_input=False, load_output=True):
            if w.status == "SUCCESS":
                outputs[w.workflow_id] = w.output
                if progress:
                    for r in w.output["accounts"]:
                        done += 1
                        progress(done, total, _result(r))
            elif w.status in ("ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"):
                outputs[w.workflow_id] = f"sync part {w.workflow_id} {w.status.lower()}: {w.error}"[:1000]
    return outputs


def fetch_part(params: dict[str, Any]) -> dict[str, Any]:
    """One part: read its accounts as a sync does, stage the rows, return the accounts' results and
    where the rows are. Safe to repeat: a second attempt replaces the first one's rows and files."""
    from adops.store.models import SyncAccountRun

    cfg = config.load()
    run_id = int(params["run_id"])
    known = {a.key: a for a in workspace_accounts(cfg)}
    accounts = [known[k] for k in params["accounts"] if k in known]  # removed since: not read
    since = date.fromisoformat(params["since"]) if params.get("since") else None
    until = date.fromisoformat(params["until"]) if params.get("until") else None
    with store.session() as s:  # an earlier attempt's rows of these accounts, if it died midway
        s.execute(
            delete(SyncAccountRun).where(
                SyncAccountRun.sync_run_id == run_id,
                or_(
                    *(
                        and_(SyncAccountRun.platform == a.platform, SyncAccountRun.account_id == a.id)
                        for a in accounts
                    )
                ),
            )
        )
    results, batches = _fetch_all(cfg, accounts, since, until, run_id, None)
    tables = _concat(batches, {})
    folder = storage.join(str(params["staging"]), str(_job_id()))
    staged = {}
    for name, table in tables.items():
        uri = storage.join(folder, f"{name}.arrow")
        _write(uri, table)
        staged[name] = uri
    return {"accounts": [_plain(r) for r in results], "staged": staged}


def _job_id() -> str:
    from dbos import DBOS

    return str(DBOS.workflow_id)


def _plain(result: AccountResult) -> dict[str, Any]:
    out = asdict(result)
    out["since"], out["until"] = str(out["since"]), str(out["until"])
    return out


def _result(data: dict[str, Any]) -> AccountResult:
    return AccountResult(
        **{**data, "since": date.fromisoformat(data["since"]), "until": date.fromisoformat(data["until"])}
    )


def _failed(account: AccountConfig, error: str) -> AccountResult:
    return AccountResult(
        account.platform, account.id, date.min, date.min, "failed", error_kind="internal", error=error
    )


def _write(uri: str, table: pa.Table) -> None:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    storage.write_bytes(uri, sink.getvalue())


def _read(uri: str) -> pa.Table:
    return pa.ipc.open_file(pa.BufferReader(storage.read_bytes(uri))).read_all()
