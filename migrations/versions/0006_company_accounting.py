"""Company accounting settings and the Xero connection

Revision ID: 0006_company_accounting
Revises: 0005_security
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_company_accounting'
down_revision = '0005_security'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
