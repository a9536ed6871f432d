"""Indexes for PSA list pages at 200k rows (issue 16)

Revision ID: 0013_list_indexes
Revises: 0012_admin_ux
Create Date: 2026-12-02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0013_list_indexes'
down_revision = '0012_admin_ux'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
