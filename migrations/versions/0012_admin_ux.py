"""Admin UX: audit filters, home page state (issue 13)

Revision ID: 0012_admin_ux
Revises: 0011_pull_hardening
Create Date: 2026-12-02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0012_admin_ux'
down_revision = '0011_pull_hardening'
branch_labels = None
depends_on = None


def upgrade():
    # The audit page and its CSV: one account's events newest first (filters narrow it further).
    op.create_index("ix_audit_events_account_created", "audit_events", ["account_id", "created_at", "id"])


def downgrade():
    op.drop_index("ix_audit_events_account_created", table_name="audit_events")
