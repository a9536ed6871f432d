"""PostgreSQL only: a batch of pulled rows written with ``COPY`` into a temporary table and one
``INSERT … SELECT … ON CONFLICT DO UPDATE``, instead of the driver's ``executemany`` of the
upsert (:class:`wisesync.psadata.pull.Upserter`). Same rows, same result, about half the
pull's CPU on PostgreSQL (benchmarks/pull.py, 60k records: 0.5 s against 1.0 s of process CPU,
wall 4.1 s against 4.9 s), so it is the default there; ``WISESYNC_PULL_PG_WRITE=executemany``
picks the other (:data:`wisesync.psadata.pull.PG_WRITE`) to measure both.
"""
from __future__ import annotations

import zlib

from wisesync.extensions import db


class CopyUpserter:
    """Callable like ``Upserter``: ``upsert(rows)``. The temporary table lives as long as the
    database connection and is emptied at each commit (``ON COMMIT DELETE ROWS``)."""

    def __init__(self, source, shared: dict):
        table = source.model.__table__  # B608 below: every name is the model's table and columns
        key = ["account_id", "kind", "psa_id"] if source.kind else ["account_id", "psa_id"]
        self.columns = [column.name for column in table.columns if column.name != "id"]
        self.shared = shared
        self.varying = [name for name in self.columns if name not in shared]
        # named after its columns, so a connection that outlived a schema change makes a new one
        self.temp = f"pull_{table.name}_{zlib.crc32(','.join(self.varying).encode()):08x}"
        cols = ", ".join(self.columns)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in self.columns if c not in key)
        varying = ", ".join(self.varying)
        self.create = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.temp} ON COMMIT DELETE ROWS "  # nosec B608
                       f"AS SELECT {varying} FROM {table.name} WITH NO DATA")
        self.copy = f"COPY {self.temp} ({varying}) FROM STDIN"
        dialect = db.session.get_bind().dialect
        types = {column.name: column.type.compile(dialect=dialect) for column in table.columns}
        shared_values = ", ".join(f"%({c})s::{types[c]}" if c in shared else c for c in self.columns)
        self.insert = (f"INSERT INTO {table.name} ({cols}) SELECT {shared_values} FROM {self.temp} "  # nosec B608
                       f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}")
        self.sql = self.insert  # for the fallback's logging/tests, like Upserter.sql

    def __call__(self, rows: list[dict]) -> None:
        connection = db.session.connection()
        raw = connection.connection.driver_connection  # psycopg 3
        with raw.cursor() as cursor:
            cursor.execute(self.create)  # empty: a commit deletes its rows, a rollback the table
            with cursor.copy(self.copy) as copy:
                names = self.varying
                for row in rows:
                    copy.write_row([row.get(name) for name in names])
            cursor.execute(self.insert, self.shared)
