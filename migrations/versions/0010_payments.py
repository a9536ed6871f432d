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
    pass


def downgrade():
    pass
