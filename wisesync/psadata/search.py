"""Search over pulled PSA records through an index that serves it.

PostgreSQL: ``ILIKE '%q%'`` over the searched text, served by a ``pg_trgm`` GIN index on the
same expression. SQLite: an FTS5 ``trigram`` table (contentless) whose phrase match is a
case-insensitive substring match; triggers queue the rows written since it was last brought
up to date, and the first search after them indexes the queue in one statement
(``catch_up``). Both come from migration 0013; where it could not create them (no pg_trgm,
no FTS5) search still works by scanning the table, and says so loudly once per process. Searches shorter than three characters cannot use a trigram
index and scan on both databases (the list index still gives the order).
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import Integer, column, func, literal_column, text
from sqlalchemy.exc import OperationalError

from wisesync.extensions import db

log = logging.getLogger(__name__)

# table -> searched columns, joined by a space (migration 0013 indexes the same expression)
SEARCHED = {
    "psa_products": ("name", "identifier", "description"),
    "psa_customers": ("name", "identifier"),
    "psa_agreements": ("name", "customer_name"),
}
TRIGRAM = 3
CATCH_UP_WAIT_MS = 1000  # SQLite: how long a search waits for another writer before it scans
FEW = 2000  # SQLite: up to this many matches are looked up by id; more, the list order is walked
_indexed: dict[tuple[str, str], bool] = {}


def include_name(name, type_, parent_names) -> bool:
    """Alembic autogenerate filter: the search indexes are dialect-specific and made by hand in
    migration 0013 (FTS5 tables and their shadow tables, pg_trgm GIN indexes)."""
    if type_ == "table" and re.fullmatch(r"psa_\w+_fts(_(data|idx|content|docsize|config|queue))?", name or ""):
        return False
    return not (type_ == "index" and re.fullmatch(r"ix_psa_\w+_trgm", name or ""))


def like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def document(model):
    """The searched text of a row, exactly as the PostgreSQL index expression spells it."""
    columns = [getattr(model, name) for name in SEARCHED[model.__tablename__]]
    expression = columns[0]
    for col in columns[1:]:
        expression = expression.op("||")(literal_column("' '")).op("||")(col)
    return expression


def index_name(table: str, postgres: bool) -> str:
    return f"ix_{table}_trgm" if postgres else f"{table}_fts"


def has_index(table: str) -> bool:
    """Whether migration 0013 could build the search index for ``table`` (checked once)."""
    engine = db.engine
    key = (engine.url.render_as_string(hide_password=True), table)
    if key not in _indexed:
        postgres = engine.dialect.name == "postgresql"
        lookup = ("SELECT count(*) FROM pg_indexes WHERE indexname = :n" if postgres
                  else "SELECT count(*) FROM sqlite_master WHERE name = :n")
        found = db.session.scalar(text(lookup), {"n": index_name(table, postgres)})
        _indexed[key] = bool(found)
        if not found:
            log.warning("PSA search on %s has no index (%s): every search scans the table. "
                        "PostgreSQL: a superuser runs CREATE EXTENSION pg_trgm, then "
                        "`python -m wisesync.psadata.search_indexes`; SQLite: a build with FTS5.", table,
                        "pg_trgm missing" if engine.dialect.name == "postgresql" else "no FTS5 trigram table")
    return _indexed[key]


def catch_up(table: str) -> bool:
    """SQLite: bring ``table``'s FTS5 index up to date with the rows its triggers queued, in one
    transaction of its own. False if that cannot be done now (another writer holds the
    database past the busy timeout): the caller then searches without the index."""
    # B608 below: every name is built from SEARCHED's keys (the model tables), never from input.
    if table not in SEARCHED:
        raise ValueError(f"not a searched table: {table!r}")
    queue, fts = f"{table}_fts_queue", index_name(table, postgres=False)
    if not db.session.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {queue})")):  # nosec B608
        return True
    columns = " || ' ' || ".join(f"t.{c}" for c in SEARCHED[table])
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {CATCH_UP_WAIT_MS}")  # a page waits briefly
            try:
                conn.execute(text(f"DELETE FROM {queue} WHERE id < 0"))  # takes the write lock first  # nosec B608
            finally:
                conn.exec_driver_sql("PRAGMA busy_timeout = 5000")  # pysqlite's default, for the pool
            conn.execute(text(f"INSERT INTO {fts}({fts}, rowid, doc) "  # nosec B608
                              f"SELECT 'delete', id, indexed FROM {queue} WHERE indexed IS NOT NULL"))
            conn.execute(text(f"INSERT INTO {fts}(rowid, doc) SELECT t.id, {columns} "  # nosec B608
                              f"FROM {queue} q JOIN {table} t ON t.id = q.id"))
            conn.execute(text(f"DELETE FROM {queue}"))  # nosec B608
    except OperationalError as exc:
        log.warning("PSA search index of %s could not catch up (%s); this search scans the table",
                    table, exc.orig)
        return False
    return True


def match(model, q: str):
    """A WHERE clause: the row's searched text contains ``q``, ignoring case."""
    table = model.__tablename__  # B608 below: names from the model's table, the query text is bound
    if db.engine.dialect.name == "postgresql":
        has_index(table)  # the same query either way; only the warning differs
        return document(model).ilike(like_pattern(q))  # PostgreSQL's default LIKE escape is "\"
    if len(q) >= TRIGRAM and has_index(table) and catch_up(table):
        phrase = '"' + q.replace('"', '""') + '"'
        fts = index_name(table, postgres=False)
        rows = text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :phrase").bindparams(phrase=phrase)  # nosec B608
        few = db.session.scalars(text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :phrase LIMIT :n"),  # nosec B608
                                 {"phrase": phrase, "n": FEW + 1}).all()
        if len(few) <= FEW:  # a rare term: fetch these rows by id and order them
            return model.id.in_(few)
        # A common term: walk the list index in order and keep the matches ("id + 0" stops SQLite
        # from fetching all of them by id and sorting them first).
        return (model.id + 0).in_(rows.columns(column("rowid", Integer)))
    return func.lower(document(model)).like(like_pattern(q), escape="\\")
