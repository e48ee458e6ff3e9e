"""Custom templates in the operational store (table `campaign_templates`, migration 0006)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from adops import store
from adops.errors import Conflict, InputError, NotFound
from adops.store.models import Base
from adops.templates.catalogue import BUILT_INS
from adops.templates.model import Template, parse

#: custom templates a workspace may hold
MAX_CUSTOM = 500


class TemplateRow(Base):
    """A custom template: its key, the model as JSON, who saved it and when."""

    __tablename__ = "campaign_templates"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def custom() -> list[Template]:
    """Every saved template, by name."""
    with store.session() as s:
        rows = s.scalars(select(TemplateRow).order_by(TemplateRow.name)).all()
        return [Template.model_validate(r.body) for r in rows]


def find(name: str) -> Template | None:
    with store.session() as s:
        row = s.get(TemplateRow, name)
        return Template.model_validate(row.body) if row is not None else None


def save(template: Template | dict[str, Any], *, by: str = "", replace: bool = False) -> Template:
    """Save a custom template (category `custom`); Conflict when the name is taken and not `replace`."""
    t = template if isinstance(template, Template) else parse(template)
    t = t.model_copy(update={"category": "custom"})
    if t.name in BUILT_INS:
        raise Conflict(f"'{t.name}' is a built-in template; save yours under another name")
    if len(by) > 100:
        raise InputError("saved by: at most 100 characters")
    now = datetime.now(UTC)
    with store.session() as s:
        row = s.get(TemplateRow, t.name)
        if row is not None and not replace:
            raise Conflict(f"a template named '{t.name}' exists; choose another name or replace it")
        if row is None:
            count = len(s.scalars(select(TemplateRow.name)).all())
            if count >= MAX_CUSTOM:
                raise Conflict(f"this workspace holds {MAX_CUSTOM} custom templates; delete one first")
            s.add(
                TemplateRow(
                    name=t.name, body=t.model_dump(mode="json"), created_by=by, created_at=now, updated_at=now
                )
            )
        else:
            row.body = t.model_dump(mode="json")
            row.updated_at = now
    store.events.publish("template.saved", {"name": t.name, "by": by, "replaced": row is not None})
    return t


def delete(name: str) -> None:
    """Delete a custom template; NotFound when there is none by that name."""
    with store.session() as s:
        row = s.get(TemplateRow, name)
        if row is None:
            raise NotFound(f"no custom template named '{name[:64]}'")
        s.delete(row)
    store.events.publish("template.deleted", {"name": name})
