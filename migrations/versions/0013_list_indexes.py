"""Indexes for PSA list pages at 200k rows (issue 16)

Revision ID: 0013_list_indexes
Revises: 0012_admin_ux
Create Date: 2026-12-02

* B-tree indexes that serve the list order within an account and active flag
  (``name, id``; products also ``price, id``), so a page is an index range scan (keyset paging).
* Search through an index: PostgreSQL ``pg_trgm`` GIN over the searched text, SQLite an FTS5
  ``trigram`` table, kept in step through a queue that triggers fill. Both are optional:
  where the extension cannot be created (no right to, not installed) or FTS5/trigram is
  missing, this logs a warning and search keeps working as a table scan (wisesync/psadata/search.py says so at run time too).
"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_list_indexes'
down_revision = '0012_admin_ux'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# table -> searched columns (joined with a space); keep in step with wisesync/psadata/search.py
SEARCHED = {
    "psa_products": ("name", "identifier", "description"),
    "psa_customers": ("name", "identifier"),
    "psa_agreements": ("name", "customer_name"),
}
LISTS = {
    "ix_psa_products_list": ("psa_products", ["account_id", "active", "name", "id"]),
    "ix_psa_products_price": ("psa_products", ["account_id", "active", "price", "id"]),
    "ix_psa_customers_list": ("psa_customers", ["account_id", "active", "name", "id"]),
    "ix_psa_agreements_list": ("psa_agreements", ["account_id", "active", "name", "id"]),
}


def _doc(columns, prefix=""):
    return " || ' ' || ".join(f"{prefix}{c}" for c in columns)


def _postgres_trigram(bind) -> bool:
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
        return True
    try:
        with bind.begin_nested():  # a refused CREATE EXTENSION must not abort the migration
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        return True
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm could not be created (%s): PSA search will scan the tables. "
                    "A superuser can run CREATE EXTENSION pg_trgm, then "
                    "`python -m wisesync.psadata.search_indexes` makes the indexes.",
                    str(exc.orig).strip().splitlines()[0])
        return False


def _sqlite_fts(bind) -> bool:
    try:  # a failed CREATE leaves SQLite's transaction usable
        bind.execute(sa.text("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(doc, tokenize='trigram')"))
        bind.execute(sa.text("DROP TABLE temp.fts5_probe"))
        return True
    except sa.exc.OperationalError as exc:
        log.warning("SQLite has no FTS5 trigram tokenizer (%s): PSA search will scan the tables.", exc.orig)
        return False


def upgrade():
    for name, (table, columns) in LISTS.items():
        op.create_index(name, table, columns)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        if _postgres_trigram(bind):
            for table, columns in SEARCHED.items():
                op.execute(f"CREATE INDEX ix_{table}_trgm ON {table} USING gin (({_doc(columns)}) gin_trgm_ops)")
    elif bind.dialect.name == "sqlite" and _sqlite_fts(bind):
        for table, columns in SEARCHED.items():
            fts, queue = f"{table}_fts", f"{table}_fts_queue"
            # Contentless: the index only (rowid = the row's id).
            op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(doc, content='', tokenize='trigram')")
            op.execute(f"INSERT INTO {fts}(rowid, doc) SELECT id, {_doc(columns)} FROM {table}")
            # Rows written since the index was last brought up to date, with the text the index
            # holds for each (NULL: none). FTS5 written from a row trigger costs ~10x a batch
            # insert (it flushes at every trigger's savepoint), so the triggers only queue and
            # wisesync/psadata/search.py indexes the queue in one statement before it searches.
            op.execute(f"CREATE TABLE {queue} (id INTEGER PRIMARY KEY, indexed TEXT)")
            changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
            op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
                       f"{_queue(queue, 'new.id', 'NULL')}; END")
            op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
                       f"{_queue(queue, 'old.id', _doc(columns, 'old.'))}; END")
            # Re-pulls rewrite every row; only a changed text is queued.
            op.execute(f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} WHEN {changed} BEGIN "
                       f"{_queue(queue, 'old.id', _doc(columns, 'old.'))}; END")


def _queue(queue: str, row_id: str, indexed: str) -> str:
    """Queue a row once (the first text the index holds for it wins). Not ``INSERT OR IGNORE``:
    inside a trigger fired by an upsert (``INSERT … ON CONFLICT DO UPDATE``, which every pull
    uses) SQLite applies the outer statement's conflict rule, so the queue's duplicate id would
    raise "UNIQUE constraint failed" and refuse the PSA record."""
    return (f"INSERT INTO {queue}(id, indexed) SELECT {row_id}, {indexed} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {queue} WHERE id = {row_id})")


def downgrade():
    bind = op.get_bind()
    for table in SEARCHED:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_trgm")
        elif bind.dialect.name == "sqlite":
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts_queue")
    for name, (table, _columns) in LISTS.items():
        op.drop_index(name, table_name=table)
