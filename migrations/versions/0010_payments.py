"""Payments back from Xero (issue 14)

Revision ID: 0010_payments
Revises: 0009_autotask_sync
Create Date: 2026-12-02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0010_payments'
down_revision = '0009_autotask_sync'
branch_labels = None
depends_on = None


def upgrade():
    # A payment run (Xero payments recorded in the PSA) is a TransactionRun with purpose
    # "payments": it shares the one-active-run-per-company index with syncs. Plain ADD COLUMN
    # (no batch copy on SQLite), so the partial unique index is left as it is.
    op.add_column('transaction_runs', sa.Column('purpose', sa.String(length=20), nullable=False,
                                                server_default='sync'))


def downgrade():
    with op.batch_alter_table('transaction_runs', schema=None) as batch_op:
        batch_op.drop_column('purpose')
