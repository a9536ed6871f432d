"""The transactions ledger and sync runs

Revision ID: 0007_transactions
Revises: 0006_company_accounting
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_transactions'
down_revision = '0006_company_accounting'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
