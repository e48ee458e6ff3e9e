"""anomalies found by the scans after each sync, each kept once (unique key)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomalies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=30), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.String(length=100), nullable=True),
        sa.Column("series", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("ds", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_anomalies_status_ds", "anomalies", ["status", "ds"])


def downgrade() -> None:
    op.drop_index("ix_anomalies_status_ds", table_name="anomalies")
    op.drop_table("anomalies")
