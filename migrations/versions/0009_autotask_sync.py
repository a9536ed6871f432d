"""Autotask sync (issue 14, Autotask invoices to Xero)

Revision ID: 0009_autotask_sync
Revises: 0008_security_findings
Create Date: 2026-12-02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0009_autotask_sync'
down_revision = '0008_security_findings'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
