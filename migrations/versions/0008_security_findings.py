"""Security findings: a singleton first-run row

Revision ID: 0008_security_findings
Revises: 0007_transactions
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_security_findings'
down_revision = '0007_transactions'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
