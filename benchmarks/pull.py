"""Pull benchmark: full, re-pull and incremental ConnectWise pulls vs a raw fetch, in one run (issues 4, 12, 16).

    .venv/bin/python benchmarks/pull.py [--products 50000] [--companies 5000] [--agreements 5000]
                                        [--database-url sqlite:///...]

The simulator runs in a subprocess (so its CPU and memory are not counted) with 50,000 catalog
items and 5,000 companies and agreements (its per-kind sizes). Then, in this process:
- raw: ``requests`` GETs every record whole (keyset pages of 1,000, ``id>last``) and parses
  the JSON — what fetching the data costs; "raw fields=" asks for the stored fields only, the
  very requests a pull makes (the least any puller must do);
- first pull: the real background job (``execute_run``) into a fresh account (every row an
  insert): codebase discovery, counts, paging, row checks, batched upserts into SQLite (or
  --database-url) with a commit per batch;
- re-pull: a full pull into that account again (every row an update, the daily full pull);
- incremental: the next pull with nothing changed in the PSA (it asks for changes only).
Raw fetches and pulls alternate (--rounds) and ratios compare medians, because the simulator's
speed varies by ±10% from one pass to the next. CPU is this process's CPU time (both threads).
Memory is the peak growth of this process's resident set during a pull, sampled every 20 ms.
Goals: wall ratio ≤ 1.15 and CPU ratio ≤ 1.3 (first pull and re-pull vs the whole-record raw
fetch; the ratios to the fields= fetch are printed too), incremental / full ≤ 0.05, memory
growth ≤ 100 MB.
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


def raw_fetch(base: str, trimmed: bool = False) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, records) of fetching every record whole (``trimmed``: only
    the fields the pull stores, the very requests a full pull makes)."""
    from wisesync.psadata.mapping import CW_FIELDS
    from wisesync.simulator import demo

    session = requests.Session()
    token = base64.b64encode(f"{demo.CW_COMPANY_ID}+{demo.CW_PUBLIC_KEY}:{demo.CW_PRIVATE_KEY}".encode()).decode()
    session.headers.update({"Authorization": f"Basic {token}", "clientId": "bench",
                            "Accept": "application/vnd.connectwise.com+json; version=2025.1"})
    api = f"{base}/{demo.CW_CODEBASE}apis/3.0"
    started, cpu, records = time.perf_counter(), time.process_time(), 0
    for path, key in (("/company/companies", "customers"), ("/finance/agreements", "agreements"),
                      ("/procurement/catalog", "products")):
        last = 0
        while True:
            params = {"conditions": f"id>{last}", "orderBy": "id asc", "pageSize": 1000}
            if trimmed:
                params["fields"] = CW_FIELDS[key]
            response = session.get(api + path, timeout=60, params=params)
            response.raise_for_status()
            page = response.json()
            records += len(page)
            if len(page) < 1000:
                break
            last = page[-1]["id"]
    return time.perf_counter() - started, time.process_time() - cpu, records


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
        raws, trims = [raw_fetch(base)], [raw_fetch(base, trimmed=True)]
        runs: dict[str, list] = {"first": [], "repull": [], "incremental": []}
        growths, pulled = [], 0
        for round_no in range(args.rounds):
            # A fresh account each round, so the first pull inserts every row.
            account = Account(name=f"Bench MSP {round_no}", psa_type="connectwise")
            db.session.add(account)
            db.session.flush()
            db.session.add(IntegrationSettings(account_id=account.id, cw_company_id=demo.CW_COMPANY_ID,
                                               cw_site=base, cw_public_key=demo.CW_PUBLIC_KEY, cw_client_id="bench",
                                               cw_private_key_enc=encrypt(demo.CW_PRIVATE_KEY)))
            db.session.commit()
            for case, kind in (("first", "full"), ("repull", "full"), ("incremental", "auto")):
                run = SyncRun(account_id=account.id, psa_type="connectwise", status="queued", kind=kind)
                db.session.add(run)
                db.session.commit()
                elapsed, cpu, growth, result = timed_pull(run.id, execute_run)
                assert result.status == "succeeded", (result.message, result.fix)
                assert result.kind == ("incremental" if case == "incremental" else "full"), result.kind
                if case == "first":
                    pulled = sum(result.counts.values())
                runs[case].append((elapsed, cpu))
                growths.append(growth)
            raws.append(raw_fetch(base))
            trims.append(raw_fetch(base, trimmed=True))

    def med(values, index):
        return statistics.median(v[index] for v in values)

    raw_wall, raw_cpu = med(raws, 0), med(raws, 1)
    trim_wall, trim_cpu = med(trims, 0), med(trims, 1)
    print(f"records per pass: {pulled:,} ({args.companies:,} companies, {args.agreements:,} agreements, "
          f"{args.products:,} catalog items), {args.rounds} rounds")
    print("raw fetch:   " + ", ".join(f"{w:.2f}s/{c:.2f}s cpu" for w, c, _ in raws)
          + f"  (median {raw_wall:.2f}s, {raw_cpu:.2f}s cpu; whole records)")
    print("raw fields=: " + ", ".join(f"{w:.2f}s/{c:.2f}s cpu" for w, c, _ in trims)
          + f"  (median {trim_wall:.2f}s, {trim_cpu:.2f}s cpu; only the stored fields, as the pull asks)")
    for case in ("first", "repull", "incremental"):
        wall, cpu = med(runs[case], 0), med(runs[case], 1)
        label = {"first": "first pull: ", "repull": "re-pull:    ", "incremental": "incremental:"}[case]
        print(f"{label} " + ", ".join(f"{w:.2f}s/{c:.2f}s cpu" for w, c in runs[case])
              + f"  (median {wall:.2f}s, {pulled / wall:,.0f} records/s)" * (case != "incremental")
              + f"  (median {wall:.3f}s)" * (case == "incremental"))
    for case in ("first", "repull"):
        wall, cpu = med(runs[case], 0), med(runs[case], 1)
        print(f"ratio {case} pull/raw (medians): wall {wall / raw_wall:.2f} (goal <= 1.15) "
              f"{'OK' if wall / raw_wall <= 1.15 else 'OVER'}, cpu {cpu / raw_cpu:.2f} (goal <= 1.3) "
              f"{'OK' if cpu / raw_cpu <= 1.3 else 'OVER'}; vs the same fields= pages: "
              f"wall {wall / trim_wall:.2f}, cpu {cpu / trim_cpu:.2f}")
    ratio = med(runs["incremental"], 0) / med(runs["repull"], 0)
    print(f"ratio incremental/full (medians, nothing changed): {ratio:.3f} (goal <= 0.05) "
          f"{'OK' if ratio <= 0.05 else 'OVER'}")
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
    started, cpu = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats
        profile = cProfile.Profile()
        result = profile.runcall(execute_run, run_id)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    else:
        result = execute_run(run_id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    done.set()
    sampler.join()
    return elapsed, cpu, max(0, peak[0] - baseline) / 1e6, result


if __name__ == "__main__":
    main()
