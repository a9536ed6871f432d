"""QLinks and account QLinks: hashed login-by-token URLs for ConnectWise menu entries.

Revision ID: 0004_qlinks
Revises: 0003_integrations
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_qlinks"
down_revision = '0003_integrations'
branch_labels = None
depends_on = None


def _use_columns():
    return [
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_ip", sa.String(length=64), nullable=True),
        sa.Column("last_used_framed", sa.Boolean(), nullable=True),
    ]


def upgrade():
    op.create_table(
        "qlinks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        *_use_columns(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_qlinks_account_id_accounts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_qlinks_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_qlinks_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qlinks")),
        sa.UniqueConstraint("user_id", name=op.f("uq_qlinks_user_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_qlinks_token_hash")),
    )
    with op.batch_alter_table("qlinks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qlinks_account_id"), ["account_id"], unique=False)

    op.create_table(
        "account_qlinks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        *_use_columns(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_account_qlinks_account_id_accounts")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_account_qlinks_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_qlinks")),
        sa.UniqueConstraint("account_id", name=op.f("uq_account_qlinks_account_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_qlinks_token_hash")),
    )


def downgrade():
    op.drop_table("account_qlinks")
    with op.batch_alter_table("qlinks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qlinks_account_id"))
    op.drop_table("qlinks")
