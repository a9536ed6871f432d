"""Company accounting settings and the Xero connection

Revision ID: 0006_company_accounting
Revises: 0005_security
Create Date: 2026-12-02

Companies gain the exempt tax codes, document status, schedule and rounding account (existing
rows get the defaults), the PSA locations they take (unique per account), and one Xero
connection each (organisation unique per account, tokens encrypted). Pulled ConnectWise
locations are stored like the other pulled records.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_company_accounting'
down_revision = '0005_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('psa_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('psa_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('pulled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_psa_locations_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_psa_locations')),
    sa.UniqueConstraint('account_id', 'psa_id', name='uq_psa_locations_account_psa_id')
    )
    op.create_table('company_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('psa_location_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_company_locations_account_id_accounts')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_locations_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_locations')),
    sa.UniqueConstraint('account_id', 'psa_location_id', name='uq_company_locations_account_location')
    )
    with op.batch_alter_table('company_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_locations_company_id'), ['company_id'], unique=False)

    op.create_table('xero_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('tenant_name', sa.String(length=255), nullable=False),
    sa.Column('tenant_country', sa.String(length=8), nullable=False),
    sa.Column('short_code', sa.String(length=20), nullable=False),
    sa.Column('connection_id', sa.String(length=64), nullable=False),
    sa.Column('pending_tenants', sa.JSON(), nullable=True),
    sa.Column('access_token_enc', sa.Text(), nullable=True),
    sa.Column('refresh_token_enc', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('refresh_claim', sa.String(length=64), nullable=True),
    sa.Column('refresh_claimed_at', sa.DateTime(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('status_at', sa.DateTime(), nullable=True),
    sa.Column('connected_by_id', sa.Integer(), nullable=True),
    sa.Column('connected_at', sa.DateTime(), nullable=False),
    sa.Column('tax_rates', sa.JSON(), nullable=True),
    sa.Column('tax_rates_at', sa.DateTime(), nullable=True),
    sa.Column('last_test', sa.JSON(), nullable=True),
    sa.Column('last_tested_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_xero_connections_account_id_accounts')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_xero_connections_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connected_by_id'], ['users.id'], name=op.f('fk_xero_connections_connected_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_connections')),
    sa.UniqueConstraint('account_id', 'tenant_id', name='uq_xero_connections_account_tenant'),
    sa.UniqueConstraint('company_id', name=op.f('uq_xero_connections_company_id'))
    )
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_connections_account_id'), ['account_id'], unique=False)

    # Existing companies get the defaults (the models set them for new rows).
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sales_exempt_tax_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('purchase_exempt_tax_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('document_status', sa.String(length=12), nullable=False, server_default='DRAFT'))
        batch_op.add_column(sa.Column('sync_schedule', sa.String(length=10), nullable=False, server_default='manual'))
        batch_op.add_column(sa.Column('rounding_account', sa.String(length=10), nullable=False, server_default='860'))


def downgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('rounding_account')
        batch_op.drop_column('sync_schedule')
        batch_op.drop_column('document_status')
        batch_op.drop_column('purchase_exempt_tax_code')
        batch_op.drop_column('sales_exempt_tax_code')
    with op.batch_alter_table('xero_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_connections_account_id'))
    op.drop_table('xero_connections')
    with op.batch_alter_table('company_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_locations_company_id'))
    op.drop_table('company_locations')
    op.drop_table('psa_locations')
