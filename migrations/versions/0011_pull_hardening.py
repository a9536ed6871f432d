"""Pulls that survive odd records, incremental pulls (issue 12)

Revision ID: 0011_pull_hardening
Revises: 0010_payments
Create Date: 2026-12-02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0011_pull_hardening'
down_revision = '0010_payments'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
