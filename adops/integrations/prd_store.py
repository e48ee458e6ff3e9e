"""Where a pushed PRD's items live in Asana: one row per project, section and task, keyed by path.

The key is the item's path in the document (`creative/write-the-brief`), so pushing the same PRD
again finds every item it made, and an edited PRD updates them. `fingerprint` is a hash of what was
last sent, so an unchanged item costs no request. Asana's own `external` field would hold the same
key, but only OAuth apps may write it; a personal access token cannot, so the key lives here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adops.store.models import Base


class PrdItem(Base):
    """One Asana object a PRD push made or adopted: `kind` is project, section or task."""

    __tablename__ = "prd_items"
    __table_args__ = (UniqueConstraint("workspace", "project_key", "item_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64))
    #: the project's name as pushed, lower-cased (the --project name, or the PRD's # heading)
    project_key: Mapped[str] = mapped_column(String(200))
    #: "" for the project itself; the section's or task's path in the document otherwise
    item_key: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    gid: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    #: the task left the PRD and was completed in Asana (never deleted)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
