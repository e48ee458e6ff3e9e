"""Tables of the operational store: events, sync runs and state, the audit log, experiments and budget plans.

Background jobs live in DBOS's own database (`adops.jobs`); the `jobs` table the first schema made is
no longer written (a later migration may drop it).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Event(Base):
    """Something worth watching; `id` increases, so SSE clients resume with Last-Event-ID."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SyncRun(Base):
    """One `sync`: what it planned, how many rows it merged, how it ended."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|success|partial|failed
    trigger: Mapped[str] = mapped_column(String(20), default="cli")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    failed_accounts: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncAccountRun(Base):
    """The part of a sync run that read one account."""

    __tablename__ = "sync_account_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sync_run_id: Mapped[int] = mapped_column(Integer, index=True)
    platform: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str] = mapped_column(String(100))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # success|failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    error_kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncState(Base):
    """Per account: the last day fully read, so the next sync starts from it minus the lookback."""

    __tablename__ = "sync_state"
    platform: Mapped[str] = mapped_column(String(30), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEntry(Base):
    """Every change pushed to a platform (or rehearsed in a dry run)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(30))  # campaign|ad_group|ad
    entity_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    dry_run: Mapped[bool] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="applied")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: what asked for the change, e.g. "experiment:<key>" for an experiment's rollout
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)


class WebhookReceipt(Base):
    """An incoming webhook, remembered by its id so a redelivery is acknowledged but not replayed."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (
        Index("ux_webhook_receipts_webhook_id", "webhook_id", unique=True),
    )  # one per id, any source
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_id: Mapped[int] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)  # as received (UTF-8 JSON)


class Experiment(Base):
    """An A/B test: what it tests, how it is read out and decided, and where it stands.

    `status` is "draft", "running", "winner: <variant>", "stopped" or "rolled out"; `winner` keeps
    the winning variant's name once declared (also after the rollout). The winner-rule settings
    mirror `adops.experiments.WinnerRule`; `sequential_tuning` None means the default.
    """

    __tablename__ = "experiments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    hypothesis: Mapped[str] = mapped_column(Text, default="")
    primary_metric: Mapped[str] = mapped_column(String(50), default="cvr")
    guardrail_metrics: Mapped[list] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    mde: Mapped[float | None] = mapped_column(Float, nullable=True)  # relative, e.g. 0.10 for +10%
    alpha: Mapped[float] = mapped_column(Float, default=0.05)
    chance_to_win_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: off
    min_runtime_days: Mapped[float] = mapped_column(Float, default=7.0)
    guardrail_harm_threshold: Mapped[float] = mapped_column(Float, default=0.95)
    sequential_tuning: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(150), index=True, default="draft")
    winner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    variants: Mapped[list[ExperimentVariant]] = relationship(
        back_populates="experiment",
        cascade="all, delete-orphan",
        order_by="ExperimentVariant.position",
        lazy="selectin",
    )


class ExperimentVariant(Base):
    """One arm of an experiment, mapped to a campaign, ad group or ad; position 0 is the control."""

    __tablename__ = "experiment_variants"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))  # campaign|ad_group|ad
    entity_id: Mapped[str] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float)  # planned traffic share
    experiment: Mapped[Experiment] = relationship(back_populates="variants")


class BudgetPlan(Base):
    """A recommended split of a daily budget, reviewed, approved, applied and possibly rolled back.

    `status` moves draft → approved → applying (a big move takes several daily steps) → applied, and
    from approved/applying/applied to rolled_back. Money is in `currency` (the reporting currency).
    `outcome` holds the tracked result after the apply (expected against actual, from the warehouse).
    """

    __tablename__ = "budget_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(500), default="all")  # which channels, in words
    level: Mapped[str] = mapped_column(String(20), default="campaign")  # campaign|account|platform
    objective: Mapped[str] = mapped_column(String(20), default="conversions")
    currency: Mapped[str] = mapped_column(String(10), default="USD")
    total_budget: Mapped[float] = mapped_column(Float)  # daily
    current_total: Mapped[float] = mapped_column(Float, default=0.0)  # today's daily spend of the channels
    expected_total: Mapped[float] = mapped_column(Float, default=0.0)
    current_expected_total: Mapped[float] = mapped_column(Float, default=0.0)
    uplift_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    uplift_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_step: Mapped[float] = mapped_column(Float, default=0.3)  # largest budget change per day, relative
    snapshot_id: Mapped[str] = mapped_column(String(500), default="")  # the warehouse snapshot fitted
    status: Mapped[str] = mapped_column(String(20), index=True, default="draft")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    applied_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    first_applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rolled_back_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    rolled_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lines: Mapped[list[BudgetPlanLine]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by="BudgetPlanLine.position",
        lazy="selectin",
    )


class BudgetPlanLine(Base):
    """One channel of a budget plan: current and recommended daily spend, and what was pushed.

    Spend figures are in the plan's currency; budgets (`original_budget`, `target_budget`,
    `applied_budget`) in the account's, as the platform holds them. A line maps to one campaign when
    the plan's level is "campaign"; other levels are advisory (nothing to apply).
    """

    __tablename__ = "budget_plan_lines"
    __table_args__ = (UniqueConstraint("plan_id", "channel"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("budget_plans.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(300))
    platform: Mapped[str | None] = mapped_column(String(30), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    campaign_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    current_spend: Mapped[float] = mapped_column(Float)
    recommended_spend: Mapped[float] = mapped_column(Float)
    current_expected: Mapped[float] = mapped_column(Float, default=0.0)
    expected: Mapped[float] = mapped_column(Float, default=0.0)
    expected_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    marginal: Mapped[float | None] = mapped_column(Float, nullable=True)  # marginal CPA or ROAS
    locked: Mapped[bool] = mapped_column(Integer, default=0)
    extrapolated: Mapped[bool] = mapped_column(Integer, default=0)
    identifiable: Mapped[bool] = mapped_column(Integer, default=1)
    original_budget: Mapped[float | None] = mapped_column(Float, nullable=True)  # before the first step
    target_budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    applied_budget: Mapped[float | None] = mapped_column(Float, nullable=True)  # after the last step
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending|moving|done|skipped|rolled_back
    plan: Mapped[BudgetPlan] = relationship(back_populates="lines")


class WebhookDelivery(Base):
    """One event sent to one outgoing endpoint (Standard Webhooks), with where its attempts stand.

    `status`: pending (an attempt is due or running), delivered, failed (the schedule ran out or the
    endpoint left the settings), refused (the SSRF rule), disabled (the endpoint answered 410). The
    delivery's durable retry loop is the DBOS workflow `workflow_id` (`adops.notify.deliveries`).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "endpoint"),)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(2000), index=True)
    event_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    workflow_id: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookEndpointState(Base):
    """What the deliverer learnt about an endpoint: disabled after a 410 until re-enabled."""

    __tablename__ = "webhook_endpoint_states"
    endpoint: Mapped[str] = mapped_column(String(2000), primary_key=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Notification(Base):
    """A message for a chat or mail channel: one per (event, channel), or a digest of held ones.

    `status`: pending, sending, sent, held (quiet hours or the channel's rate limit; a later
    digest carries it), digested, failed. `digest_id` names the digest row that carried a held one.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "channel"),
        Index("ix_notifications_channel_status", "channel", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: a digest
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20), default="info")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    digest_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)


class DispatchCursor(Base):
    """How far a reader of the event log has got (the sidecar's delivery dispatcher)."""

    __tablename__ = "dispatch_cursors"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
