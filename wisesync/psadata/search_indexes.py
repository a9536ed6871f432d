"""Create the PostgreSQL search indexes that migration 0013 had to leave out (no pg_trgm then).

    DATABASE_URL=postgresql://… .venv/bin/python -m wisesync.psadata.search_indexes

Run after a superuser has made the extension (``CREATE EXTENSION pg_trgm``); an index that
exists already is left alone, so it is safe to run again. Restart the portal afterwards (each
process checks once whether the indexes are there).
"""
from __future__ import annotations

import os
import sys

import sqlalchemy as sa

from wisesync.psadata.search import SEARCHED


def statements() -> list[str]:
    """The same indexes as migration 0013 (the expression must match search.document)."""
    joined = {table: " || ' ' || ".join(columns) for table, columns in SEARCHED.items()}
    return [f"CREATE INDEX IF NOT EXISTS ix_{table}_trgm ON {table} USING gin (({text}) gin_trgm_ops)"
            for table, text in joined.items()]


def main(url: str) -> int:
    from wisesync.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(url))
    if engine.dialect.name != "postgresql":
        print("Only PostgreSQL needs this: SQLite's search index comes with the migration.")
        return 0
    with engine.begin() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
            print("pg_trgm is not installed in this database: a superuser runs CREATE EXTENSION pg_trgm first.")
            return 1
        for statement in statements():
            conn.execute(sa.text(statement))
    print(f"Search indexes in place: {', '.join(f'ix_{table}_trgm' for table in SEARCHED)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ.get("DATABASE_URL", "")))
