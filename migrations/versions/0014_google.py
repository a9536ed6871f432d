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
    op.create_table(
        "google_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=True),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("connected_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", name="uq_google_accounts_user_id"),
    )
    op.create_index("ix_google_accounts_account_id", "google_accounts", ["account_id"])
    op.create_table(
        "transaction_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("psa", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("psa_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("ledger_entry_id", sa.Integer(), sa.ForeignKey("ledger_entries.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("drive_file_id", sa.String(255), nullable=False),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("xero_document_id", sa.String(64), nullable=False),
        sa.Column("xero_attachment_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("company_id", "psa", "kind", "psa_id", "sha256",
                            name="uq_transaction_attachments_content"),
    )
    op.create_index("ix_transaction_attachments_account_id", "transaction_attachments", ["account_id"])
    op.create_index("ix_transaction_attachments_record", "transaction_attachments",
                    ["company_id", "kind", "psa_id"])
    op.create_index("ix_transaction_attachments_state", "transaction_attachments", ["state"])


def downgrade():
    op.drop_table("transaction_attachments")
    op.drop_table("google_accounts")
