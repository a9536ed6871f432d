"""Security findings: a singleton first-run row; per-user PSA secrets bound to their PSA host

``setup_claims`` holds at most one row (id 1): /setup inserts it first, so concurrent first
runs cannot both create an account (an install that is already set up gets its row here).

``psa_credentials.secret_host`` is the PSA address a user's secret was saved for; it is only
ever sent there. Existing secrets are bound to the address the account's Integration Settings
name now (what their tests used until today).

Revision ID: 0008_security_findings
Revises: 0007_transactions
Create Date: 2026-12-02

"""
from urllib.parse import urlsplit

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_security_findings'
down_revision = '0007_transactions'
branch_labels = None
depends_on = None

# What wisesync.integrations.services.secret_destination() answers, frozen for this revision.
AUTOTASK_LOOKUP = "autotask-zone-lookup"
CLOUD = {"na": "api-na", "eu": "api-eu", "au": "api-au", "aus": "api-aus", "za": "api-za"}


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url if "://" in url else "https://" + url)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host.lower()}" + (f":{port}" if port else "")


def _cw_destination(site: str) -> str:
    code = (site or "").strip().lower()
    if not code:
        return ""
    if code in CLOUD:
        return f"https://{CLOUD[code]}.myconnectwise.net"
    region = code.split(".", 1)[0]
    if code.endswith(".myconnectwise.net") and region in CLOUD:
        return f"https://{CLOUD[region]}.myconnectwise.net"
    return _origin(site.strip())


def upgrade():
    op.create_table('setup_claims',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_setup_claims_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_claims'))
    )
    with op.batch_alter_table('psa_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_host', sa.String(length=255), nullable=True))

    conn = op.get_bind()
    if conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar():
        conn.execute(sa.text("INSERT INTO setup_claims (id, claimed_at) VALUES (1, CURRENT_TIMESTAMP)"))
    settings = {row.account_id: row for row in conn.execute(sa.text(
        "SELECT account_id, cw_site, at_zone_url FROM integration_settings"))}
    for cred in conn.execute(sa.text(
            "SELECT id, account_id, kind FROM psa_credentials WHERE secret_enc IS NOT NULL")).all():
        row = settings.get(cred.account_id)
        if cred.kind == "autotask":
            host = _origin(row.at_zone_url) if row is not None and row.at_zone_url else AUTOTASK_LOOKUP
        else:
            host = _cw_destination(row.cw_site) if row is not None else ""
        conn.execute(sa.text("UPDATE psa_credentials SET secret_host = :host WHERE id = :id"),
                     {"host": host, "id": cred.id})


def downgrade():
    # Plain ALTER TABLE (SQLite >= 3.35 has DROP COLUMN): a batch copy would lose the partial
    # unique index on is_primary.
    op.drop_column('psa_credentials', 'secret_host')
    op.drop_table('setup_claims')
