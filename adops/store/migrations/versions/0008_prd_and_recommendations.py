"""PRD pushes to Asana (prd_items) and the recommendations' memory (applications, outcomes, dismissals)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 17:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prd_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("project_key", sa.String(length=200), nullable=False),
        sa.Column("item_key", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("gid", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace", "project_key", "item_key"),
    )
    op.create_table(
        "recommendation_applications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=30), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("workflow", sa.String(length=100), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=120), nullable=True),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("predicted_delta", sa.Float(), nullable=False),
        sa.Column("predicted_low", sa.Float(), nullable=False),
        sa.Column("predicted_high", sa.Float(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_recommendation_applications_account_kind",
        "recommendation_applications",
        ["account_id", "kind"],
    )
    op.create_index("ix_recommendation_applications_status", "recommendation_applications", ["status"])
    op.create_table(
        "recommendation_outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("measured_delta", sa.Float(), nullable=False),
        sa.Column("realized_over_predicted", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["recommendation_applications.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id"),
    )
    op.create_table(
        "recommendation_dismissals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dismissed_by", sa.String(length=100), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_recommendation_dismissals_recommendation_id", "recommendation_dismissals", ["recommendation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_recommendation_dismissals_recommendation_id", table_name="recommendation_dismissals")
    op.drop_table("recommendation_dismissals")
    op.drop_table("recommendation_outcomes")
    op.drop_index("ix_recommendation_applications_status", table_name="recommendation_applications")
    op.drop_index("ix_recommendation_applications_account_kind", table_name="recommendation_applications")
    op.drop_table("recommendation_applications")
    op.drop_table("prd_items")
