"""The recommendations' memory: plain tables in the operational store, for the engine and notebooks.

- `recommendation_applications`: every applied recommendation and what it predicted (metric, delta,
  interval, follow-up window), with its evidence, the workflow run it started, and its status
  (`applied` until measured, then `measured`; `withdrawn` when its workflow run was undone). Every
  workflow run that changed a platform adds one row per changed entity (kind `workflow:<name>`).
- `recommendation_outcomes`: what happened after the window, against a counterfactual.
- `recommendation_dismissals`: recommendations a person dismissed, with the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adops.store.models import Base


class RecommendationApplication(Base):
    __tablename__ = "recommendation_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(200))
    workflow: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    run_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    metric: Mapped[str] = mapped_column(String(40))
    predicted_delta: Mapped[float] = mapped_column(Float)
    predicted_low: Mapped[float] = mapped_column(Float)
    predicted_high: Mapped[float] = mapped_column(Float)
    window_days: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="applied")


class RecommendationOutcome(Base):
    __tablename__ = "recommendation_outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("recommendation_applications.id"), unique=True)
    measured_delta: Mapped[float] = mapped_column(Float)
    realized_over_predicted: Mapped[float | None] = mapped_column(Float, nullable=True)
    method: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecommendationDismissal(Base):
    __tablename__ = "recommendation_dismissals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    dismissed_by: Mapped[str] = mapped_column(String(100))
    dismissed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
