"""Google accounts and documents attached to transactions (issue 15)

Revision ID: 0014_google
Revises: 0013_list_indexes
Create Date: 2026-12-02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0014_google'
down_revision = '0013_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
