"""webhook receipts: one per webhook-id (whatever the source), with the body as received

A signed delivery replayed to another /webhooks/{source} must not make a second event, so the
webhook-id alone is unique. Older workspaces may hold such replays: the first receipt of each id
is kept and the later ones are dropped before the unique index is built.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_receipts", sa.Column("body", sa.Text(), nullable=True))
    op.execute(
        "DELETE FROM webhook_receipts WHERE EXISTS (SELECT 1 FROM webhook_receipts o"
        " WHERE o.webhook_id = webhook_receipts.webhook_id AND (o.received_at < webhook_receipts.received_at"
        " OR (o.received_at = webhook_receipts.received_at AND o.source < webhook_receipts.source)))"
    )
    op.create_index("ux_webhook_receipts_webhook_id", "webhook_receipts", ["webhook_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_webhook_receipts_webhook_id", table_name="webhook_receipts")
    with op.batch_alter_table("webhook_receipts") as batch:
        batch.drop_column("body")
