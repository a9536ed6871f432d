"""Xero contacts updated from the PSA on later syncs: what was last sent, per link

Revision ID: 0015_contact_updates
Revises: 0014_google
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_contact_updates'
down_revision = '0014_google'
branch_labels = None
depends_on = None


def upgrade():
    # A SHA-256 (hex) of the contact details last sent to Xero for the link; "" = unknown
    # (linked before this revision, or matched in Xero): the next sync sends them.
    with op.batch_alter_table("xero_contact_links") as batch:
        batch.add_column(sa.Column("sent_fingerprint", sa.String(64), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("xero_contact_links") as batch:
        batch.drop_column("sent_fingerprint")
