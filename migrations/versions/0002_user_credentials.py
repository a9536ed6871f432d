"""Per-user PSA credentials (ConnectWise Member, ConnectWise API Member, Autotask user).

One row per (user, kind); the secret is a Fernet token (never plaintext); a partial unique
index keeps at most one primary API account per account on SQLite and PostgreSQL alike.

Revision ID: 0002_user_credentials
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_user_credentials"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "psa_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("login", sa.String(length=254), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("secret_set_at", sa.DateTime(), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("last_test", sa.JSON(), nullable=True),
        sa.Column("last_tested_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_psa_credentials_account_id_accounts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_psa_credentials_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psa_credentials")),
        sa.UniqueConstraint("user_id", "kind", name="uq_psa_credentials_user_kind"),
    )
    with op.batch_alter_table("psa_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_psa_credentials_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_psa_credentials_user_id"), ["user_id"], unique=False)
    op.create_index("uq_psa_credentials_one_primary", "psa_credentials", ["account_id"], unique=True,
                    sqlite_where=sa.text("is_primary"), postgresql_where=sa.text("is_primary"))


def downgrade():
    op.drop_index("uq_psa_credentials_one_primary", table_name="psa_credentials")
    with op.batch_alter_table("psa_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_psa_credentials_user_id"))
        batch_op.drop_index(batch_op.f("ix_psa_credentials_account_id"))
    op.drop_table("psa_credentials")
