"""Load: N concurrent logged-in sessions against gunicorn, on SQLite and on PostgreSQL (issue 5).

    .venv/bin/python benchmarks/load.py [--duration 60] [--sessions 50] [--workers 2]
                                        [--db sqlite,postgresql] [--pg-url postgresql://postgres@127.0.0.1:5432/test]

For each database: a throw-away instance migrated like ``scripts/serve`` (PostgreSQL: a fresh
``wisesync_load`` database next to the one in --pg-url), an account with 10 companies and one
user per session (every fifth an account-admin), gunicorn with --workers (4 threads each)
on a free loopback port. Each session logs in through the real form (CSRF token and all) and
then walks the pages its role sees — home, PSA data, profile; admins also users, companies and
the audit log — for --duration seconds. Prints requests/s, p50, p99 and the error count
(anything but a 200, including a session that fell back to the login page). Goal: 0 errors.
The login throttle is raised for the run: 50 sessions log in from one IP.
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

from benchmarks.simproc import free_port  # noqa: E402



def postgres_database(admin_url: str) -> str:
    from wisesync.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "wisesync_load" WITH (FORCE)'))
        conn.execute(sa.text('CREATE DATABASE "wisesync_load"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/wisesync_load"


def seed(env: dict, sessions: int) -> list[tuple[str, bool]]:
    """Account, companies and one user per session, written through the models."""
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
        db.engine.dispose()
    return people


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


def run_session(url, email, admin, clock, latencies, errors, lock, ready):
    try:
        session = login(url, email)
    except Exception as exc:  # noqa: BLE001 (counted, not raised: one bad login is one error)
        with lock:
            errors.append(f"login {email}: {exc}")
        ready.wait()
        return
    ready.wait()
    # The keep-alive connection went idle while the others logged in and gunicorn closed it.
    session.close()
    stop_at = clock["stop_at"]
    pages = ADMIN_PAGES if admin else USER_PAGES
    mine, bad, i = [], [], 0
    while time.monotonic() < stop_at:
        path = pages[i % len(pages)]
        i += 1
        started = time.perf_counter()
        try:
            r = session.get(url + path, allow_redirects=False, timeout=30)
            ok = r.status_code == 200
            detail = f"{path} → {r.status_code}"
        except requests.RequestException as exc:
            ok, detail = False, f"{path} → {exc.__class__.__name__}"
        mine.append(time.perf_counter() - started)
        if not ok:
            bad.append(detail)
    with lock:
        latencies.extend(mine)
        errors.extend(bad)


def measure(name: str, database_url: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"wisesync-load-{name}-") as tmp:
        instance = Path(tmp)
        proc, log, url, env = start_portal(database_url, args.workers, instance)
        try:
            people = seed(env, args.sessions)
            latencies, errors, lock = [], [], threading.Lock()
            clock: dict = {}
            # Every session logs in first; the clock starts when the last one is in.
            ready = threading.Barrier(args.sessions + 1, action=lambda: clock.update(
                started=time.monotonic(), stop_at=time.monotonic() + args.duration))
            threads = [threading.Thread(target=run_session, daemon=True, args=(
                url, email, admin, clock, latencies, errors, lock, ready)) for email, admin in people]
            for t in threads:
                t.start()
            ready.wait()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - clock["started"]
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()
    ordered = sorted(latencies)
    q = statistics.quantiles(ordered, n=100) if len(ordered) >= 2 else [0] * 99
    return {"db": name, "requests": len(ordered), "rps": len(ordered) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "errors": len(errors),
            "first_errors": errors[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("WISESYNC_TEST_POSTGRES_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    print(f"{args.sessions} logged-in sessions, {args.duration:g} s, gunicorn {args.workers} workers x 4 threads")
    for name in args.db.split(","):
        if name == "sqlite":
            tmp = tempfile.mkdtemp(prefix="wisesync-load-db-")
            url = f"sqlite:///{tmp}/load.sqlite3"
        else:
            url = postgres_database(args.pg_url)
        result = measure(name, url, args)
        print(f"{result['db']:<10} requests={result['requests']:<7} rps={result['rps']:.1f} "
              f"p50={result['p50_ms']:.1f}ms p99={result['p99_ms']:.1f}ms errors={result['errors']}")
        for line in result["first_errors"]:
            print(f"    error: {line}")


if __name__ == "__main__":
    main()
