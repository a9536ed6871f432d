"""/psa search through its index (issue 16): pg_trgm GIN on PostgreSQL, FTS5 trigram on SQLite,
kept in step with inserts, renames and deletes; and the loud scan fallback where it is missing."""
from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.builders import make_account
from wisesync.extensions import db
from wisesync.psadata import search, services
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaProduct

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def account(app):
    account = make_account()
    db.session.add_all([
        PsaProduct(account_id=account.id, kind="catalog", psa_id=1, name="Firewall XG", identifier="FW-100",
                   description="Rack-mounted, 100% uptime"),
        PsaProduct(account_id=account.id, kind="catalog", psa_id=2, name="Laptop Pro", identifier="LP_14",
                   description='14" screen, "Ultra" edition'),
        PsaProduct(account_id=account.id, kind="service", psa_id=3, name="Backup 1TB", identifier="BK1",
                   description="Offsite backup"),
        PsaCustomer(account_id=account.id, psa_id=7, name="Globex Ltd", identifier="GLOBEX"),
        PsaAgreement(account_id=account.id, psa_id=9, name="Managed Services", customer_psa_id=7),
    ])
    db.session.commit()
    return account


def found(account, q: str) -> list[str]:
    return [p.name for (p,) in services.products(account.id, q).items]


@pytest.mark.parametrize("few", [2000, 0], ids=["rare-term-by-id", "common-term-walks-the-order"])
def test_search_finds_substrings_of_name_identifier_or_description_ignoring_case(account, monkeypatch, few):
    monkeypatch.setattr(search, "FEW", few)  # SQLite's two ways of using the FTS5 matches
    assert found(account, "wall") == ["Firewall XG"]
    assert found(account, "fw-1") == ["Firewall XG"]
    assert found(account, "OFFSITE") == ["Backup 1TB"]
    assert found(account, "100%") == ["Firewall XG"]  # % and _ are literal, not wildcards
    assert found(account, "lp_1") == ["Laptop Pro"] and found(account, "p_1") == ["Laptop Pro"]
    assert found(account, '"ultra"') == ["Laptop Pro"]  # quotes are text, not query syntax
    assert found(account, "0%") == ["Firewall XG"] and found(account, "zz") == []  # short: scanned
    assert found(account, "nothing like it") == []


def test_the_index_follows_inserts_renames_and_deletes(account):
    product = db.session.scalar(sa.select(PsaProduct).where(PsaProduct.psa_id == 3))
    product.name, product.description = "Archive 2TB", "Cold storage"
    db.session.add(PsaProduct(account_id=account.id, kind="catalog", psa_id=4, name="Offsite Vault"))
    db.session.commit()
    assert found(account, "backup") == [] and found(account, "archive") == ["Archive 2TB"]
    assert found(account, "offsite") == ["Offsite Vault"]
    db.session.execute(sa.delete(PsaProduct).where(PsaProduct.psa_id == 4))
    db.session.commit()
    assert found(account, "offsite") == []


def test_other_accounts_matches_stay_out(account):
    other = make_account(name="Other MSP")
    db.session.add(PsaProduct(account_id=other.id, kind="catalog", psa_id=1, name="Firewall Other"))
    db.session.commit()
    assert found(account, "firewall") == ["Firewall XG"]


def test_agreements_match_their_pulled_customers_name(account):
    assert [a.name for a, _customer in services.agreements(account.id, "globex").items] == ["Managed Services"]


def test_search_goes_through_the_index(account):
    assert all(search.has_index(table) for table in search.SEARCHED)
    if db.engine.dialect.name == "sqlite":
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
        found(account, "wall")
        assert any("psa_products_fts MATCH" in sql for sql in statements)
        return
    query = sa.select(PsaProduct.id).where(search.match(PsaProduct, "wall"))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    assert "ix_psa_products_trgm" in plan, plan


def test_without_the_index_search_scans_and_says_so(account, monkeypatch, caplog):
    monkeypatch.setattr(search, "_indexed", {})
    monkeypatch.setattr(search, "index_name", lambda table, postgres: f"missing_{table}")
    with caplog.at_level(logging.WARNING, logger="wisesync.psadata.search"):
        assert found(account, "wall") == ["Firewall XG"] and found(account, "offsite") == ["Backup 1TB"]
    warnings = [r.getMessage() for r in caplog.records if "has no index" in r.getMessage()]
    assert len(warnings) == 1 and "every search scans the table" in warnings[0]  # once, not per view


@pytest.mark.sqlite_only
def test_sqlite_indexes_queued_rows_before_searching_or_scans_while_another_writer_holds_on(
        account, monkeypatch, caplog, tmp_path):
    import sqlite3

    queued = "SELECT count(*) FROM psa_products_fts_queue"
    assert db.session.scalar(sa.text(queued)) == 3  # the rows the fixture wrote
    assert found(account, "wall") == ["Firewall XG"] and db.session.scalar(sa.text(queued)) == 0
    db.session.add(PsaProduct(account_id=account.id, kind="catalog", psa_id=5, name="Wallboard"))
    db.session.commit()
    monkeypatch.setattr(search, "CATCH_UP_WAIT_MS", 50)
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a pull's batch in progress
    try:
        with caplog.at_level(logging.WARNING, logger="wisesync.psadata.search"):
            assert found(account, "wall") == ["Firewall XG", "Wallboard"]  # scanned, still right
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert any("could not catch up" in r.getMessage() for r in caplog.records)
    assert found(account, "wallb") == ["Wallboard"] and db.session.scalar(sa.text(queued)) == 0


def _migration():
    spec = importlib.util.spec_from_file_location("m0013", ROOT / "migrations/versions/0013_list_indexes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(os.environ.get("WISESYNC_TEST_DB") != "postgresql", reason="PostgreSQL extension rights")
def test_migration_without_the_right_to_create_pg_trgm_carries_on(app, caplog):
    """An install whose database user may not CREATE EXTENSION still migrates (no search index)."""
    url = db.engine.url
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{url.database}_noext"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        if not conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = 'wisesync_noext'")).scalar():
            conn.execute(sa.text("CREATE ROLE wisesync_noext LOGIN"))
    plain = sa.create_engine(url.set(database=name, username="wisesync_noext", password=None))
    try:
        with plain.connect() as conn, conn.begin(), caplog.at_level(logging.WARNING):
            assert _migration()._postgres_trigram(conn) is False
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1  # the transaction is still usable
        assert any("pg_trgm could not be created" in r.getMessage() for r in caplog.records)
    finally:
        plain.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(os.environ.get("WISESYNC_TEST_DB") != "postgresql", reason="PostgreSQL indexes")
def test_the_index_script_remakes_what_the_migration_made(app, capsys):
    from wisesync.psadata import search_indexes

    url = db.engine.url.render_as_string(hide_password=False)
    made = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'ix_psa_%_trgm' ORDER BY 1"
    by_migration = db.session.execute(sa.text(made)).all()
    assert len(by_migration) == 3
    db.session.execute(sa.text("DROP INDEX ix_psa_products_trgm"))
    db.session.commit()
    try:
        assert search_indexes.main(url) == 0
    finally:
        with db.engine.begin() as conn:
            for statement in search_indexes.statements():
                conn.execute(sa.text(statement))
    assert db.session.execute(sa.text(made)).all() == by_migration
    assert "Search indexes in place" in capsys.readouterr().out
    assert search_indexes.main(url) == 0  # again: nothing to do, no error
