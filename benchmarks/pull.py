"""Pull benchmark: a full ConnectWise pull vs a raw fetch of the same pages, in one run (issue 4).

    .venv/bin/python benchmarks/pull.py [--products 50000] [--companies 5000] [--agreements 5000]
                                        [--database-url sqlite:///...]

The simulator runs in a subprocess (so its CPU and memory are not counted) with 50,000 catalog
items and 5,000 companies and agreements (its per-kind sizes). Then, in this process:
- raw: ``requests`` GETs every page (pageSize=1000, following ``Link: rel=next``) and parses
  the JSON — the least any puller must do;
- pull: the real background job (``execute_run``): codebase discovery, counts, paging, row
  mapping, batched upserts into SQLite (or --database-url) with a commit per batch.
Raw fetches and pulls alternate (--rounds pulls, each into a fresh account so every pull
inserts) and the ratio compares medians, because the simulator's speed varies by ±10% from
one pass to the next. Memory is the peak growth of this process's resident set during a
pull, sampled every 20 ms. Goals: ratio ≤ 1.3,
memory growth ≤ 100 MB.
"""
from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.simproc import simulator  # noqa: E402



def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def raw_fetch(base: str) -> tuple[float, int]:
    from wisesync.simulator import demo

    session = requests.Session()
    token = base64.b64encode(f"{demo.CW_COMPANY_ID}+{demo.CW_PUBLIC_KEY}:{demo.CW_PRIVATE_KEY}".encode()).decode()
    session.headers.update({"Authorization": f"Basic {token}", "clientId": "bench",
                            "Accept": "application/vnd.connectwise.com+json; version=2025.1"})
    api = f"{base}/{demo.CW_CODEBASE}apis/3.0"
    started, records = time.perf_counter(), 0
    for path in ("/company/companies", "/finance/agreements", "/procurement/catalog"):
        url, params = api + path, {"pageSize": 1000, "page": 1}
        while url:
            response = session.get(url, params=params, timeout=60)
            response.raise_for_status()
            records += len(response.json())
            url, params = response.links.get("next", {}).get("url"), None
    return time.perf_counter() - started, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--agreements", type=int, default=5_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=3, help="pulls, each between two raw fetches")
    args = parser.parse_args()

    with simulator(args.products, {"companies": args.companies, "agreements": args.agreements}) as base:
        run_benchmark(base, args)


def run_benchmark(base: str, args) -> None:
    from cryptography.fernet import Fernet
    from flask_migrate import upgrade

    from wisesync.app import create_app
    from wisesync.crypto import encrypt
    from wisesync.extensions import db
    from wisesync.integrations.models import IntegrationSettings
    from wisesync.psadata.runner import execute_run
    from wisesync.psadata.runs import SyncRun
    from wisesync.accounts.models import Account
    from wisesync.simulator import demo

    tmp = tempfile.mkdtemp(prefix="wisesync-bench-")
    app = create_app({"SECRET_KEY": "bench", "WISESYNC_SECRETS_KEYS": [Fernet.generate_key().decode()],
                      "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
                      "INSTANCE_PATH": tmp, "WISESYNC_ALLOW_LOCAL_PSA": True, "WISESYNC_JOBS": "immediate"})
    import logging
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        raws, pulls, growths, pulled = [raw_fetch(base)[0]], [], [], 0
        for round_no in range(args.rounds):
            # A fresh account each round, so every pull inserts (the first pull's real work).
            account = Account(name=f"Bench MSP {round_no}", psa_type="connectwise")
            db.session.add(account)
            db.session.flush()
            db.session.add(IntegrationSettings(account_id=account.id, cw_company_id=demo.CW_COMPANY_ID,
                                               cw_site=base, cw_public_key=demo.CW_PUBLIC_KEY, cw_client_id="bench",
                                               cw_private_key_enc=encrypt(demo.CW_PRIVATE_KEY)))
            run = SyncRun(account_id=account.id, psa_type="connectwise", status="queued")
            db.session.add(run)
            db.session.commit()
            elapsed, growth, result = timed_pull(run.id, execute_run)
            assert result.status == "succeeded", (result.message, result.fix)
            pulled = sum(result.counts.values())
            pulls.append(elapsed)
            growths.append(growth)
            raws.append(raw_fetch(base)[0])

    raw, pull = statistics.median(raws), statistics.median(pulls)
    print(f"records per pass: {pulled:,} ({args.companies:,} companies, {args.agreements:,} agreements, "
          f"{args.products:,} catalog items), {args.rounds} rounds")
    print("raw fetch: " + ", ".join(f"{t:.2f}s" for t in raws) + f"  (median {raw:.2f}s)")
    print("pull:      " + ", ".join(f"{t:.2f}s" for t in pulls) + f"  (median {pull:.2f}s, {pulled / pull:,.0f} records/s)")
    print(f"ratio pull/raw (medians): {pull / raw:.2f}  (goal <= 1.3) {'OK' if pull / raw <= 1.3 else 'OVER'}")
    print(f"peak memory growth during a pull: {max(growths):.1f} MB  (goal <= 100 MB) "
          f"{'OK' if max(growths) <= 100 else 'OVER'}")


def timed_pull(run_id: int, execute_run):
    baseline, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats
        profile = cProfile.Profile()
        result = profile.runcall(execute_run, run_id)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    else:
        result = execute_run(run_id)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return elapsed, max(0, peak[0] - baseline) / 1e6, result


if __name__ == "__main__":
    main()
