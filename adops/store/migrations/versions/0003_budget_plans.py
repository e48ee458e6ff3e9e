"""budget plans: a recommended budget split with its lines, approval, apply, rollback and outcome

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("objective", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("total_budget", sa.Float(), nullable=False),
        sa.Column("current_total", sa.Float(), nullable=False),
        sa.Column("expected_total", sa.Float(), nullable=False),
        sa.Column("current_expected_total", sa.Float(), nullable=False),
        sa.Column("uplift_low", sa.Float(), nullable=True),
        sa.Column("uplift_high", sa.Float(), nullable=True),
        sa.Column("max_step", sa.Float(), nullable=False),
        sa.Column("snapshot_id", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.String(length=100), nullable=True),
        sa.Column("first_applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_by", sa.String(length=100), nullable=True),
        sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("budget_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budget_plans_status"), ["status"], unique=False)

    op.create_table(
        "budget_plan_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=300), nullable=False),
        sa.Column("platform", sa.String(length=30), nullable=True),
        sa.Column("account_id", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("current_spend", sa.Float(), nullable=False),
        sa.Column("recommended_spend", sa.Float(), nullable=False),
        sa.Column("current_expected", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("expected_low", sa.Float(), nullable=True),
        sa.Column("expected_high", sa.Float(), nullable=True),
        sa.Column("marginal", sa.Float(), nullable=True),
        sa.Column("locked", sa.Integer(), nullable=False),
        sa.Column("extrapolated", sa.Integer(), nullable=False),
        sa.Column("identifiable", sa.Integer(), nullable=False),
        sa.Column("original_budget", sa.Float(), nullable=True),
        sa.Column("target_budget", sa.Float(), nullable=True),
        sa.Column("applied_budget", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["budget_plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "channel"),
    )
    with op.batch_alter_table("budget_plan_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budget_plan_lines_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_plan_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_plan_lines_plan_id"))
    op.drop_table("budget_plan_lines")
    with op.batch_alter_table("budget_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_plans_status"))
    op.drop_table("budget_plans")
