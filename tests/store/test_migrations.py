"""Alembic migrations on an empty database and on a populated one, on SQLite and on PostgreSQL.

"Populated": the chain is walked one revision at a time, and before each step every table of the
schema so far gets rows (values made from each column's type, foreign keys pointing at the rows
already there), so every migration runs over data, as it will at a team that upgrades. After the
last step every row is still there and the schema matches the models.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from adops.store import db, models

ROWS_PER_TABLE = 3


def _config(conn: sa.Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def _revisions() -> list[str]:
    """Every revision from the first to the single head, in order."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1, f"more than one migration head: {script.get_heads()}"
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture
def empty_engine(store_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if store_backend == "sqlite":
        eng = sa.create_engine(f"sqlite:///{tmp_path / 'migrations.sqlite'}")
    else:
        eng = sa.create_engine(request.getfixturevalue("empty_postgres_url"))
    yield eng
    eng.dispose()


def _upgrade(eng: Engine, revision: str) -> None:
    with eng.begin() as conn:
        command.upgrade(_config(conn), revision)


def _value(column: sa.Column[Any], n: int) -> Any:
    """A value of the column's type, distinct per row (unique constraints hold)."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.Float):
        return n + 0.5
    if isinstance(kind, sa.Numeric):
        return decimal.Decimal(n) if kind.asdecimal else float(n)
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 11, 1) + dt.timedelta(days=n)
    if isinstance(kind, sa.JSON):
        return {"n": n}
    if isinstance(kind, sa.LargeBinary):
        return bytes([n])
    if isinstance(kind, sa.String):
        return f"v{n}"[: kind.length] if kind.length else f"value {n}"
    raise AssertionError(f"no test value for {column.table.name}.{column.name} ({kind!r})")


def _fill(eng: Engine, seen: dict[str, int]) -> None:
    """Rows in every table that has none yet from us (parents first), recorded in `seen`."""
    meta = sa.MetaData()
    meta.reflect(eng)
    with eng.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version" or table.name in seen:
                continue
            rows = []
            for i in range(1, ROWS_PER_TABLE + 1):
                row: dict[str, Any] = {}
                for col in table.columns:
                    fks = list(col.foreign_keys)
                    if fks:
                        target = fks[0].column
                        ids = conn.execute(sa.select(target).order_by(target)).scalars().all()
                        assert ids, f"{table.name}.{col.name} points at an empty {target.table.name}"
                        row[col.name] = ids[(i - 1) % len(ids)]
                    elif col.autoincrement is True or (
                        col.primary_key and isinstance(col.type, sa.Integer) and len(table.primary_key) == 1
                    ):
                        continue  # the database numbers it
                    else:
                        row[col.name] = _value(col, i)
                rows.append(row)
            conn.execute(table.insert(), rows)
            seen[table.name] = ROWS_PER_TABLE


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "head")
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == _revisions()[-1]
    _upgrade(empty_engine, "head")  # a second run is a no-op


def test_every_migration_runs_over_rows_and_keeps_them(empty_engine: Engine) -> None:
    seen: dict[str, int] = {}
    chain = _revisions()
    for revision in chain:
        _upgrade(empty_engine, revision)
        _fill(empty_engine, seen)
    assert len(seen) >= 20  # the walk did reach the tables of every revision
    meta = sa.MetaData()
    meta.reflect(empty_engine)
    with empty_engine.connect() as conn:
        for name, count in seen.items():
            if name in meta.tables:  # a later revision may drop a table on purpose
                assert (
                    conn.execute(sa.select(sa.func.count()).select_from(meta.tables[name])).scalar() == count
                ), name
    # the store starts on the upgraded database as it is: nothing left to migrate
    db.migrate(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == chain[-1]


def test_upgrading_the_previous_head_with_rows_to_head(empty_engine: Engine) -> None:
    """The case a team meets on upgrade day: yesterday's schema, full, then `alembic upgrade head`."""
    chain = _revisions()
    if len(chain) < 2:
        pytest.skip("one revision only")
    _upgrade(empty_engine, chain[-2])
    seen: dict[str, int] = {}
    _fill(empty_engine, seen)
    _upgrade(empty_engine, "head")
    with empty_engine.connect() as conn:
        for name in seen:
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == ROWS_PER_TABLE
