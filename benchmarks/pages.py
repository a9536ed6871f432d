"""Queries per page and throughput of the user list (issue 2); PSA product pages at 200k (issue 16).

    .venv/bin/python benchmarks/pages.py [--requests 500] [--rounds 5] [--products 200000]
        [--products-small 10000] [--repeats 15] [--db sqlite,postgresql] [--pg-url URL]

Builds a throw-away SQLite database through the real migrations, an account with an admin,
then prints:
  * the SQL query count of ``GET /users`` with 10 and with 1,000 users (must be equal: the
    list loads companies for a whole page with one extra query, never one per user);
  * the throughput of ``/users`` at 1,000 users and of ``/healthz`` on the same real server
    (werkzeug, threaded, one logged-in ``requests.Session``; best of alternating rounds), and
    last ``ratio=`` (goal >= 0.4);
  * per database, the server-side time of each kind of ``/psa/products`` page (first, middle,
    last, by price, searches) at --products-small and at --products, and the worst growth
    (goal <= 2.0; see benchmarks/pages_psa.py). PostgreSQL runs in a fresh ``wisesync_pages``
    database next to the one in --pg-url.
Numbers only: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from sqlalchemy import event
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wisesync.accounts.models import Account  # noqa: E402
from wisesync.app import create_app  # noqa: E402
from wisesync.companies.models import Company  # noqa: E402
from wisesync.extensions import db  # noqa: E402
from wisesync.passwords import hash_password  # noqa: E402
from wisesync.users.listing import PER_PAGE  # noqa: E402
from wisesync.users.models import User  # noqa: E402
from benchmarks import pages_psa  # noqa: E402

PASSWORD = "Benchmark-pass-1"


def build_app(folder: Path, database_url: str = ""):
    from flask_migrate import upgrade

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": "benchmark-only-secret",
        "WISESYNC_SECRETS_KEYS": [Fernet.generate_key().decode()],
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        upgrade()
    return app


def seed(app) -> tuple[int, list[int]]:
    """An account, its admin and five companies; returns (account id, company ids)."""
    with app.app_context():
        account = Account(name="Benchmark MSP", psa_type="connectwise")
        db.session.add(account)
        db.session.flush()
        companies = [Company(account_id=account.id, name=f"Company {i}", name_key=f"company {i}",
                             sales_tax_code="OUTPUT2", purchase_tax_code="INPUT2") for i in range(5)]
        admin = User(account_id=account.id, role="account-admin", first_name="Bench",
                     last_name="Admin", email="admin@bench.example", username="admin@bench.example",
                     password_hash=hash_password(PASSWORD))
        db.session.add_all([admin, *companies])
        db.session.commit()
        return account.id, [c.id for c in companies]


def grow_users(app, account_id: int, company_ids: list[int], total: int) -> None:
    """Add ``user``-role users (each with two companies) until the account has ``total`` users."""
    with app.app_context():
        companies = db.session.scalars(db.select(Company).where(Company.id.in_(company_ids))).all()
        have = db.session.scalar(db.select(db.func.count(User.id)).where(User.account_id == account_id))
        password_hash = hash_password(PASSWORD)
        for i in range(have, total):
            user = User(account_id=account_id, role="user", first_name=f"User{i:04d}",
                        last_name="Bench", email=f"user{i}@bench.example",
                        username=f"user{i}@bench.example", password_hash=password_hash)
            user.companies = [companies[i % 5], companies[(i + 1) % 5]]
            db.session.add(user)
        db.session.commit()


def login(session: requests.Session, base: str) -> None:
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    data = {"username": "admin@bench.example", "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = session.post(f"{base}/login", data=data, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]


def count_queries(app, base: str) -> int:
    """SQL statements the server runs for one logged-in ``GET /users``."""
    session = requests.Session()
    login(session, base)
    session.get(f"{base}/users")  # warm caches (templates, mapper configuration)
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = session.get(f"{base}/users")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200
    return len(seen)


def rate(session: requests.Session, url: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        response = session.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return n / (time.perf_counter() - start)


def throughput(session: requests.Session, urls: list[str], n: int, rounds: int) -> list[float]:
    """Requests per second for each URL: best of ``rounds`` alternating rounds, so a busy
    moment on the machine does not land on one URL only."""
    for url in urls:
        rate(session, url, 10)  # warm-up
    best = [0.0] * len(urls)
    for _ in range(rounds):
        for i, url in enumerate(urls):
            best[i] = max(best[i], rate(session, url, max(1, n // rounds)))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per URL")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (best counts)")
    parser.add_argument("--products", type=int, default=200_000, help="PSA products, large case")
    parser.add_argument("--products-small", type=int, default=10_000, help="PSA products, small case")
    parser.add_argument("--repeats", type=int, default=15, help="views of each PSA page (median counts)")
    parser.add_argument("--db", default="sqlite,postgresql", help="databases for the PSA pages")
    parser.add_argument("--pg-url", default=os.environ.get("WISESYNC_TEST_POSTGRES_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    users_benchmark(args)
    for name in args.db.split(","):
        psa_benchmark(name, args)


def psa_benchmark(name: str, args) -> None:
    from benchmarks.load import drop_database, postgres_database
    from wisesync.config import normalize_database_url

    with tempfile.TemporaryDirectory() as tmp:
        url = normalize_database_url(postgres_database(args.pg_url, "wisesync_pages")) if name == "postgresql" else ""
        app = build_app(Path(tmp), url)
        account_id, _companies = seed(app)
        timer = pages_psa.ServerTimes(app)
        server = make_server("127.0.0.1", 0, timer, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            session = requests.Session()
            login(session, base)
            measured, cold = [], []
            done = 1
            for size in (args.products_small, args.products):
                pages_psa.seed_products(app, account_id, done, size + 1)
                done = size + 1
                cold.append(pages_psa.first_view(session, base, timer))
                urls = pages_psa.pages(session, base, app, account_id, size)
                measured.append(pages_psa.time_pages(session, base, timer, urls, args.repeats))
            pages_psa.report(name, args.products_small, args.products, *measured, tuple(cold))
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
            if name == "postgresql":
                drop_database(args.pg_url, "wisesync_pages")


def users_benchmark(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        account_id, company_ids = seed(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            grow_users(app, account_id, company_ids, 10)
            at_10 = count_queries(app, base)
            grow_users(app, account_id, company_ids, 1000)
            at_1000 = count_queries(app, base)
            print(f"queries GET /users: 10 users={at_10} 1000 users={at_1000} "
                  f"{'equal' if at_10 == at_1000 else 'NOT EQUAL (N+1)'}")

            session = requests.Session()
            login(session, base)
            users_rps, health_rps = throughput(session, [f"{base}/users", f"{base}/healthz"],
                                               args.requests, args.rounds)
            print(f"/users (1000 users, page 1 of {-(-1000 // PER_PAGE)}): {users_rps:.1f} req/s")
            print(f"/healthz: {health_rps:.1f} req/s")
            print(f"ratio={users_rps / health_rps:.2f}")
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
