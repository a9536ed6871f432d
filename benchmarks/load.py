"""Load: N concurrent logged-in sessions against gunicorn, on SQLite and on PostgreSQL (issues 5, 16).

    .venv/bin/python benchmarks/load.py [--duration 60] [--sessions 50] [--workers 2] [--rounds 4]
        [--products 50000] [--audit 20000]
        [--db sqlite,postgresql] [--pg-url postgresql://postgres@127.0.0.1:5432/test]

For each database: a throw-away instance migrated like ``scripts/serve`` (PostgreSQL: a fresh
``wisesync_load`` database next to the one in --pg-url), an account with 10 companies, one
user per session (every fifth an account-admin), --products pulled PSA products (plus a
tenth as many customers) and --audit audit rows, so the heavy pages carry real data; gunicorn
with --workers (4 threads each) on a free loopback port. All portals run at once and are
measured interleaved: --rounds rounds, each giving every database an equal slice of
--duration, so a busy moment on the machine does not land on one database only. Each session
logs in once through the real form (CSRF token and all) and then walks the pages its role
sees — home, PSA data, profile; admins also users, companies and the audit log. Prints, per
database, requests/s, p50, p99 and the error count (anything but a 200, including a session
that fell back to the login page). Goal: 0 errors. The login throttle is raised for the run.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PASSWORD = "Load-Test-Pass-1"
USER_PAGES = ["/", "/psa/customers", "/profile", "/psa/products"]
ADMIN_PAGES = USER_PAGES + ["/users/", "/companies/", "/audit"]
HEAVY = {"/psa/customers", "/psa/products", "/audit"}  # the pages over the seeded tables

from benchmarks.simproc import free_port  # noqa: E402



def postgres_database(admin_url: str, name: str = "wisesync_load") -> str:
    """A fresh, empty database ``name`` on the server of ``admin_url``; returns its URL."""
    from wisesync.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, name: str) -> None:
    from wisesync.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def seed(env: dict, sessions: int, products: int = 0, audit: int = 0) -> list[tuple[str, bool]]:
    """Account, companies, one user per session (through the models), then PSA records and
    audit rows (Core inserts, as a pull writes them)."""
    from wisesync.app import create_app

    from wisesync.config import normalize_database_url

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize_database_url(env["DATABASE_URL"]), "SECRET_KEY": env["SECRET_KEY"],
                      "WISESYNC_SECRETS_KEYS": [env["WISESYNC_SECRETS_KEYS"]],
                      "INSTANCE_PATH": env["WISESYNC_INSTANCE_PATH"]})
    from wisesync.accounts.models import Account
    from wisesync.companies.models import Company
    from wisesync.extensions import db
    from wisesync.passwords import hash_password
    from wisesync.users.models import User

    people = []
    with app.app_context():
        account = Account(name="Load MSP", psa_type="connectwise")
        db.session.add(account)
        db.session.flush()
        companies = [Company(account_id=account.id, name=f"Books {i}", name_key=f"books {i}",
                             sales_tax_code="OUTPUT2", purchase_tax_code="INPUT2") for i in range(10)]
        hashed = hash_password(PASSWORD)
        for i in range(sessions):
            admin = i % 5 == 0
            email = f"load{i}@example.com"
            db.session.add(User(account=account, role="account-admin" if admin else "user",
                                first_name="Load", last_name=str(i), email=email, username=email,
                                password_hash=hashed, companies=[] if admin else companies[:3]))
            people.append((email, admin))
        db.session.add_all(companies)
        db.session.commit()
        seed_records(db, account.id, products, audit)
        db.engine.dispose()
    return people


def seed_records(db, account_id: int, products: int, audit: int) -> None:
    from datetime import timedelta
    from decimal import Decimal

    from wisesync.audit.models import AuditEvent
    from wisesync.modelbase import utcnow
    from wisesync.psadata.models import PsaCustomer, PsaProduct
    from wisesync.users.models import User

    def batches(model, count, row):
        for first in range(0, count, 5000):
            db.session.execute(sa.insert(model), [row(i) for i in range(first, min(first + 5000, count))])
            db.session.commit()

    words = ("Laptop", "Firewall", "Backup", "Switch", "Licence", "Monitor", "Router", "Support")
    batches(PsaProduct, products, lambda i: {
        "account_id": account_id, "kind": "catalog", "psa_id": i + 1, "name": f"{words[i % 8]} {i:06d}",
        "identifier": f"SKU-{i:06d}", "description": f"Load item {i}", "active": i % 10 != 0,
        "price": None if i % 7 == 0 else Decimal(i % 50_000) / 100})
    batches(PsaCustomer, products // 10, lambda i: {
        "account_id": account_id, "psa_id": i + 1, "name": f"Customer {i:06d}", "identifier": f"C{i}",
        "status": "Active", "active": i % 10 != 0})
    users = db.session.scalars(sa.select(User.id).where(User.account_id == account_id)).all()
    actions = ("auth.login", "user.edited", "qlink.use", "user.role_changed", "qlink.revoked")
    now = utcnow()
    batches(AuditEvent, audit, lambda i: {
        "account_id": account_id, "actor_id": users[i % len(users)], "target_user_id": users[(i * 7) % len(users)],
        "action": actions[i % len(actions)], "detail": f"load row {i}", "ip": "127.0.0.1",
        "created_at": now - timedelta(seconds=i * 13)})


def start_portal(database_url: str, workers: int, instance: Path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "load-benchmark-secret",
           "WISESYNC_SECRETS_KEYS": Fernet.generate_key().decode(),
           "WISESYNC_INSTANCE_PATH": str(instance), "FLASK_APP": "wsgi",
           "WISESYNC_LIMIT_LOGIN": "100000 per minute"}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    log = open(instance / "gunicorn.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", "4", "--logger-class", "wisesync.gunicorn_logging.MaskingLogger", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, log, url, env
        except requests.RequestException:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"gunicorn did not start: {(instance / 'gunicorn.log').read_text()[-2000:]}")


def login(url: str, email: str) -> requests.Session:
    s = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(url + "/login").text).group(1)
    r = s.post(url + "/login", data={"username": email, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False)
    if r.status_code != 302:
        raise RuntimeError(f"login of {email} answered {r.status_code}")
    return s


def run_session(session, pages, clock, latencies, errors, lock):
    # The keep-alive connection went idle between rounds and gunicorn closed it.
    session.close()
    stop_at = clock["stop_at"]
    mine, bad, i = [], [], 0
    while time.monotonic() < stop_at:
        path = pages[i % len(pages)]
        i += 1
        started = time.perf_counter()
        try:
            r = session.get(clock["url"] + path, allow_redirects=False, timeout=30)
            ok = r.status_code == 200
            detail = f"{path} → {r.status_code}"
        except requests.RequestException as exc:
            ok, detail = False, f"{path} → {exc.__class__.__name__}"
        mine.append((path, time.perf_counter() - started))
        if not ok:
            bad.append(detail)
    with lock:
        latencies.extend(mine)
        errors.extend(bad)


class Portal:
    """One database's running portal, its logged-in sessions and what they measured."""

    def __init__(self, name: str, database_url: str, args):
        self.name, self.tmp = name, tempfile.TemporaryDirectory(prefix=f"wisesync-load-{name}-")
        self.proc, self.log, self.url, env = start_portal(database_url, args.workers, Path(self.tmp.name))
        started = time.perf_counter()
        people = seed(env, args.sessions, args.products, args.audit)
        self.seconds_seeding = time.perf_counter() - started
        self.latencies, self.errors, self.elapsed = [], [], 0.0
        self.sessions = []
        for email, admin in people:
            try:
                self.sessions.append((login(self.url, email), ADMIN_PAGES if admin else USER_PAGES))
            except Exception as exc:  # noqa: BLE001 (counted, not raised: one bad login is one error)
                self.errors.append(f"login {email}: {exc}")

    def run(self, seconds: float) -> None:
        lock, clock = threading.Lock(), {"url": self.url, "stop_at": time.monotonic() + seconds}
        started = time.monotonic()
        threads = [threading.Thread(target=run_session, daemon=True, args=(
            session, pages, clock, self.latencies, self.errors, lock)) for session, pages in self.sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.elapsed += time.monotonic() - started

    def result(self) -> dict:
        ordered = sorted(seconds for _path, seconds in self.latencies)

        def p50(paths):
            chosen = [seconds for path, seconds in self.latencies if path in paths]
            return statistics.median(chosen) if chosen else 0.0
        q = statistics.quantiles(ordered, n=100) if len(ordered) >= 2 else [0] * 99
        return {"db": self.name, "requests": len(ordered), "rps": len(ordered) / max(self.elapsed, 1e-9),
                "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "errors": len(self.errors),
                "first_errors": self.errors[:5], "heavy_p50_ms": p50(HEAVY) * 1000,
                "light_p50_ms": p50(set(ADMIN_PAGES) - HEAVY) * 1000}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()
        self.tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per database")
    parser.add_argument("--products", type=int, default=50_000, help="pulled PSA products seeded")
    parser.add_argument("--audit", type=int, default=20_000, help="audit rows seeded")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("WISESYNC_TEST_POSTGRES_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    print(f"{args.sessions} logged-in sessions, {args.duration:g} s per database in {args.rounds} interleaved "
          f"rounds, gunicorn {args.workers} workers x 4 threads; {args.products:,} products, {args.audit:,} audit rows")
    portals = []
    try:
        for name in args.db.split(","):
            if name == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp(prefix='wisesync-load-db-')}/load.sqlite3"
            else:
                url = postgres_database(args.pg_url)
            portals.append(Portal(name, url, args))
            print(f"{name:<10} seeded in {portals[-1].seconds_seeding:.1f}s")
        for _ in range(args.rounds):
            for portal in portals:
                portal.run(args.duration / args.rounds)
    finally:
        for portal in portals:
            portal.stop()
        if "postgresql" in args.db.split(","):
            drop_database(args.pg_url, "wisesync_load")
    for portal in portals:
        result = portal.result()
        print(f"{result['db']:<10} requests={result['requests']:<7} rps={result['rps']:.1f} "
              f"p50={result['p50_ms']:.1f}ms p99={result['p99_ms']:.1f}ms errors={result['errors']}")
        for line in result["first_errors"]:
            print(f"    error: {line}")
        light = result["light_p50_ms"]
        print(f"{'':<10} ratio heavy/light p50={result['heavy_p50_ms'] / light if light else 0:.2f} "
              f"({', '.join(sorted(HEAVY))}: {result['heavy_p50_ms']:.1f}ms; the other pages: {light:.1f}ms)")


if __name__ == "__main__":
    main()
