"""Pulls that survive odd records, incremental pulls (issue 12)

Revision ID: 0011_pull_hardening
Revises: 0010_payments
Create Date: 2026-12-02

``sync_runs`` says which kind of pull a run was (``full``, ``incremental``, or ``auto`` while
queued; runs before this revision become ``legacy``), since when an incremental one asked for
changes, and which records it skipped and why.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_pull_hardening'
down_revision = '0010_payments'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_runs") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="full"))
        batch.add_column(sa.Column("since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("skipped_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("skipped_json", sa.Text(), nullable=False, server_default="[]"))
    # Runs from before this revision were full pulls, but with the old mapping (an Autotask
    # contract's number as its type, companies inactive by their status's name): "legacy", so
    # the first pull after the upgrade is a full one that rewrites every record.
    op.execute("UPDATE sync_runs SET kind = 'legacy'")


def downgrade():
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("skipped_json")
        batch.drop_column("skipped_count")
        batch.drop_column("since")
        batch.drop_column("kind")
