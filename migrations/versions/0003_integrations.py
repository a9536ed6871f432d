"""Integration settings, sync runs, pulled PSA customers, agreements and products

Revision ID: 0003_integrations
Revises: 0002_user_credentials
Create Date: 2026-11-22

One row of integration settings per account (secrets encrypted), sync runs with a partial
unique index (one queued/running pull per account), and the pulled records keyed by
(account, PSA id).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_integrations'
down_revision = '0002_user_credentials'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integration_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('cw_company_id', sa.String(length=60), nullable=False),
    sa.Column('cw_site', sa.String(length=255), nullable=False),
    sa.Column('cw_public_key', sa.String(length=120), nullable=False),
    sa.Column('cw_private_key_enc', sa.Text(), nullable=True),
    sa.Column('cw_private_key_set_at', sa.DateTime(), nullable=True),
    sa.Column('cw_client_id', sa.String(length=120), nullable=False),
    sa.Column('at_username', sa.String(length=254), nullable=False),
    sa.Column('at_secret_enc', sa.Text(), nullable=True),
    sa.Column('at_secret_set_at', sa.DateTime(), nullable=True),
    sa.Column('at_integration_code', sa.String(length=120), nullable=False),
    sa.Column('at_zone_url', sa.String(length=255), nullable=False),
    sa.Column('at_zone_detected', sa.String(length=255), nullable=False),
    sa.Column('at_zone_name', sa.String(length=60), nullable=False),
    sa.Column('last_test_at', sa.DateTime(), nullable=True),
    sa.Column('last_test_json', sa.Text(), nullable=True),
    sa.Column('saved_untested', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_integration_settings_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_settings')),
    sa.UniqueConstraint('account_id', name=op.f('uq_integration_settings_account_id'))
    )
    op.create_table('psa_agreements',
    sa.Column('customer_psa_id', sa.BigInteger(), nullable=True),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('agreement_type', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=60), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('psa_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('pulled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_psa_agreements_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_psa_agreements')),
    sa.UniqueConstraint('account_id', 'psa_id', name='uq_psa_agreements_account_psa_id')
    )
    op.create_table('psa_customers',
    sa.Column('identifier', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=60), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('psa_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('pulled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_psa_customers_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_psa_customers')),
    sa.UniqueConstraint('account_id', 'psa_id', name='uq_psa_customers_account_psa_id')
    )
    op.create_table('psa_products',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('identifier', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=4, asdecimal=False), nullable=True),
    sa.Column('cost', sa.Numeric(precision=14, scale=4, asdecimal=False), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('psa_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('pulled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_psa_products_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_psa_products')),
    sa.UniqueConstraint('account_id', 'kind', 'psa_id', name='uq_psa_products_account_kind_psa_id')
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('psa_type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('counts_json', sa.Text(), nullable=False),
    sa.Column('totals_json', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('fix', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_sync_runs_account_id_accounts')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_sync_runs_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_runs_account_id'), ['account_id'], unique=False)
        batch_op.create_index('uq_sync_runs_one_active', ['account_id'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))



def downgrade():
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_sync_runs_one_active', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index(batch_op.f('ix_sync_runs_account_id'))

    op.drop_table('sync_runs')
    op.drop_table('psa_products')
    op.drop_table('psa_customers')
    op.drop_table('psa_agreements')
    op.drop_table('integration_settings')
