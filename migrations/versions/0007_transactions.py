"""The transactions ledger and sync runs

Revision ID: 0007_transactions
Revises: 0006_company_accounting
Create Date: 2026-12-02

Ledger entries keyed by (account, company, PSA, kind, PSA id); transaction runs with a
partial unique index (one queued/running sync per company) and their per-record outcomes;
PSA counterparty → Xero contact links; and the per-organisation Xero call budget used by
worker processes that share no Redis.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_transactions'
down_revision = '0006_company_accounting'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade():
    op.create_table('transaction_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('scheduled', sa.Boolean(), nullable=False),
    sa.Column('psa', sa.String(length=20), nullable=False),
    sa.Column('psa_identity', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('selected_json', sa.Text(), nullable=True),
    sa.Column('counts_json', sa.Text(), nullable=False),
    sa.Column('totals_json', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('fix', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_transaction_runs_account_id_accounts')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_transaction_runs_company_id_companies')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_transaction_runs_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_runs'))
    )
    with op.batch_alter_table('transaction_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transaction_runs_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transaction_runs_company_id'), ['company_id'], unique=False)
        batch_op.create_index('uq_transaction_runs_one_active', ['company_id'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('psa', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('psa_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('counterparty', sa.String(length=255), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('adopted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('fix', sa.Text(), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('gl_entry_ids', sa.Text(), nullable=False),
    sa.Column('xero_id', sa.String(length=64), nullable=False),
    sa.Column('xero_number', sa.String(length=64), nullable=False),
    sa.Column('xero_type', sa.String(length=20), nullable=False),
    sa.Column('psa_batch_identifier', sa.String(length=50), nullable=False),
    sa.Column('psa_batch_id', sa.BigInteger(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('synced_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('pushed_at', sa.DateTime(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ledger_entries_account_id_accounts')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_ledger_entries_company_id_companies')),
    sa.ForeignKeyConstraint(['last_run_id'], ['transaction_runs.id'], name=op.f('fk_ledger_entries_last_run_id_transaction_runs')),
    sa.ForeignKeyConstraint(['synced_by_id'], ['users.id'], name=op.f('fk_ledger_entries_synced_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('account_id', 'company_id', 'psa', 'kind', 'psa_id', name='uq_ledger_entries_record')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_company_state', ['company_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_idempotency_key'), ['idempotency_key'], unique=False)

    op.create_table('transaction_run_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('psa_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('pushed', sa.Boolean(), nullable=False),
    sa.Column('adopted', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('fix', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['transaction_runs.id'], name=op.f('fk_transaction_run_records_run_id_transaction_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transaction_run_records')),
    sa.UniqueConstraint('run_id', 'kind', 'psa_id', name='uq_transaction_run_records_record')
    )

    op.create_table('xero_contact_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('psa', sa.String(length=20), nullable=False),
    sa.Column('counterparty_id', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_xero_contact_links_account_id_accounts')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_xero_contact_links_company_id_companies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_contact_links')),
    sa.UniqueConstraint('company_id', 'psa', 'counterparty_id', name='uq_xero_contact_links_counterparty')
    )
    with op.batch_alter_table('xero_contact_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xero_contact_links_account_id'), ['account_id'], unique=False)

    op.create_table('xero_call_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('held_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_call_slots'))
    )
    with op.batch_alter_table('xero_call_slots', schema=None) as batch_op:
        batch_op.create_index('ix_xero_call_slots_tenant_started', ['tenant_id', 'started_at'], unique=False)

    op.create_table('xero_limit_states',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('touched_at', sa.DateTime(), nullable=True),
    sa.Column('min_remaining', sa.Integer(), nullable=True),
    sa.Column('day_remaining', sa.Integer(), nullable=True),
    sa.Column('observed_at', sa.DateTime(), nullable=True),
    sa.Column('wait_until', sa.DateTime(), nullable=True),
    sa.Column('day_exhausted_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_xero_limit_states'))
    )


def downgrade():
    op.drop_table('xero_limit_states')
    with op.batch_alter_table('xero_call_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_xero_call_slots_tenant_started')
    op.drop_table('xero_call_slots')
    with op.batch_alter_table('xero_contact_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xero_contact_links_account_id'))
    op.drop_table('xero_contact_links')
    op.drop_table('transaction_run_records')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_idempotency_key'))
        batch_op.drop_index('ix_ledger_entries_company_state')
        batch_op.drop_index(batch_op.f('ix_ledger_entries_account_id'))
    op.drop_table('ledger_entries')
    with op.batch_alter_table('transaction_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_transaction_runs_one_active', sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.drop_index(batch_op.f('ix_transaction_runs_company_id'))
        batch_op.drop_index(batch_op.f('ix_transaction_runs_account_id'))
    op.drop_table('transaction_runs')
