"""Sync benchmark: review + sync of 1,000 unposted ConnectWise invoices (5 GL lines each) into
Xero vs the raw floor of the same HTTP calls, in one run (issue 10).

    .venv/bin/python benchmarks/sync.py [--invoices 1000] [--customers 100] [--rounds 3]
                                        [--database-url sqlite:///...]

The simulator runs in a subprocess (its CPU and memory are not counted): ``--invoices`` unposted
invoices over ``--customers`` customers, odd ones in Auckland and even ones in Sydney, so two
companies sync into the two demo Xero organisations (NZ takes locations 1 and 3, AU takes 2).
Each round, from a reset simulator:

- raw: a plain ``requests`` loop doing the least any integrator must do for the same outcome —
  list the unposted invoices per company, export them (200 per call), PUT the documents to Xero
  (50 per call, with an Idempotency-Key) and POST one ConnectWise batch per record. Its mapping
  is a few lines (no checks, no ledger, no contacts, items or adoption);
- sync: what a person's "review, then Sync all" does — the review (read, export, map, states)
  and the background run (``start_run`` in the immediate queue: ledger commits before and after
  every write, items, contacts, pushes, batches) for both companies, on SQLite (or
  ``--database-url``).

The ratio compares medians. Xero calls are counted by Xero itself (the simulator's
``X-DayLimit-Remaining`` after the run, one call to ask included and taken off); the goal is
1,000/50 PUTs + a few. Memory is the peak growth of this process's resident set during review
+ sync, sampled every 20 ms. Goals: ratio ≤ 1.3, Xero calls ≤ 20 + a few.
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
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.simproc import simulator  # noqa: E402

NZ, AU = "6f1b7e52-0c1a-4d2e-9f5a-1a2b3c4d5e01", "6f1b7e52-0c1a-4d2e-9f5a-1a2b3c4d5e02"
COMPANIES = (("Bench NZ Ltd", NZ, {1, 3}, ("OUTPUT2", "EXEMPTOUTPUT", "INPUT2", "EXEMPTINPUT")),
             ("Bench AU Pty", AU, {2}, ("OUTPUT", "EXEMPTOUTPUT", "INPUT", "EXEMPTEXPENSES")))


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- Xero sign-in (not timed) ------------------------------------------------------------------

def xero_settings(base: str):
    from wisesync.accounting.xero import XeroSettings

    return XeroSettings("simxero", "simxero-secret", base + "/xero/identity/connect/authorize",
                        base + "/xero/identity", base + "/xero/api", allow_local=True)


def xero_tokens(base: str, tenant_id: str):
    """Consent for one organisation, as a person clicks through it; returns the TokenSet."""
    from wisesync.accounting.xero import XeroOAuth, new_code_verifier

    oauth, verifier, redirect = XeroOAuth(xero_settings(base)), new_code_verifier(), "http://127.0.0.1/cb"
    url = oauth.authorization_url(redirect, "bench-state-0123456789", verifier)
    requests.get(url, timeout=10).raise_for_status()
    answer = requests.post(url, data={"tenant_ids": [tenant_id], "action": "allow"}, allow_redirects=False,
                           timeout=10)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    return oauth.exchange_code(code, redirect, verifier)


def reset(base: str) -> None:
    requests.post(base + "/_sim/reset", timeout=30).raise_for_status()


def xero_calls_counted(base: str, token: str, tenant_id: str) -> int:
    """Calls Xero counted for the organisation today (the asking call taken off)."""
    response = requests.get(base + "/xero/api/api.xro/2.0/Organisation", timeout=10,
                            headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant_id,
                                     "Accept": "application/json"})
    return 5000 - int(response.headers["X-DayLimit-Remaining"]) - 1


# -- the raw floor -----------------------------------------------------------------------------

def raw_pass(base: str, tokens: dict) -> tuple[float, dict]:
    from wisesync.simulator import demo

    cw = requests.Session()
    auth = base64.b64encode(f"{demo.CW_COMPANY_ID}+{demo.CW_PUBLIC_KEY}:{demo.CW_PRIVATE_KEY}".encode()).decode()
    cw.headers.update({"Authorization": f"Basic {auth}", "clientId": "bench", "Content-Type": "application/json",
                       "Accept": "application/vnd.connectwise.com+json; version=2025.1"})
    api = f"{base}/{demo.CW_CODEBASE}apis/3.0"
    xero = requests.Session()
    started, calls = time.perf_counter(), {"cw": 0, "xero": 0}
    for _name, tenant, locations, codes in COMPANIES:
        xero.headers.update({"Authorization": f"Bearer {tokens[tenant].access_token}", "xero-tenant-id": tenant,
                             "Accept": "application/json"})
        conditions = " or ".join(f"locationId={i}" for i in sorted(locations))
        url, params, unposted = api + "/finance/accounting/unpostedinvoices", {
            "pageSize": 1000, "page": 1, "conditions": conditions}, []
        while url:
            response = cw.get(url, params=params, timeout=60)
            response.raise_for_status()
            calls["cw"] += 1
            unposted += response.json()
            url, params = response.links.get("next", {}).get("url"), None
        ids = [r["id"] for r in unposted]
        transactions = []
        for start in range(0, len(ids), 200):
            response = cw.post(api + "/finance/accounting/export", timeout=60,
                               json={"exportInvoicesFlag": True, "includedInvoiceIds": ids[start:start + 200]})
            response.raise_for_status()
            calls["cw"] += 1
            transactions += response.json()["transactions"]
        for kind in ("Invoices", "CreditNotes"):
            docs = [_raw_document(t, codes) for t in transactions if (t["documentType"] == "CreditMemo") ==
                    (kind == "CreditNotes")]
            for start in range(0, len(docs), 50):
                response = xero.put(f"{base}/xero/api/api.xro/2.0/{kind}", timeout=60,
                                    params={"summarizeErrors": "false", "unitdp": 4},
                                    headers={"Idempotency-Key": f"raw-{tenant}-{kind}-{start}"},
                                    json={kind: docs[start:start + 50]})
                response.raise_for_status()
                calls["xero"] += 1
        for t in transactions:
            entries = [int(p) for p in t["glEntryIds"].split(",") if p] + [d["id"] for d in t["detail"]]
            response = cw.post(api + "/finance/accounting/batches", timeout=60,
                               json={"batchIdentifier": f"RAW-{t['id']}", "exportInvoicesFlag": True,
                                     "processedRecordIds": entries})
            calls["cw"] += 1
    return time.perf_counter() - started, calls


def _raw_document(t: dict, codes) -> dict:
    credit = t["documentType"] == "CreditMemo"
    lines = [{"Description": d.get("description") or "-", "Quantity": abs(d.get("quantity") or 1),
              "UnitAmount": abs(d.get("itemPrice") or d["total"]), "AccountCode": d["accountNumber"],
              "TaxType": codes[0] if d.get("taxableFlag") else codes[1]}
             for d in t["detail"] if d.get("glTypeId") != "ST"]
    doc = {"Type": "ACCRECCREDIT" if credit else "ACCREC", "Contact": {"Name": t["company"]["name"]},
           "Date": t["documentDate"][:10], "LineAmountTypes": "Exclusive", "LineItems": lines}
    doc["CreditNoteNumber" if credit else "InvoiceNumber"] = t["documentNumber"]
    if not credit:
        doc["DueDate"] = t["dueDate"][:10]
    return doc


# -- review + sync ---------------------------------------------------------------------------------

def set_up_account(base: str, round_no: int):
    """A fresh account, its Integration Settings, an admin and the two companies connected to
    the two organisations (not timed)."""
    from wisesync.accounts.models import Account
    from wisesync.companies.models import Company, CompanyLocation
    from wisesync.companies.xero_models import XeroConnection
    from wisesync.crypto import encrypt
    from wisesync.extensions import db
    from wisesync.integrations.models import IntegrationSettings
    from wisesync.passwords import hash_password
    from wisesync.simulator import demo
    from wisesync.users.models import User

    account = Account(name=f"Bench MSP {round_no}", psa_type="connectwise")
    db.session.add(account)
    db.session.flush()
    db.session.add(IntegrationSettings(account_id=account.id, cw_company_id=demo.CW_COMPANY_ID, cw_site=base,
                                       cw_public_key=demo.CW_PUBLIC_KEY, cw_client_id="bench",
                                       cw_private_key_enc=encrypt(demo.CW_PRIVATE_KEY)))
    admin = User(account_id=account.id, role="account-admin", first_name="Bench", last_name="Admin",
                 email=f"bench{round_no}@example.com", username=f"bench{round_no}@example.com",
                 password_hash=hash_password("Bench-password-1"))
    db.session.add(admin)
    companies = []
    for name, tenant, locations, codes in COMPANIES:
        company = Company(account_id=account.id, name=name, name_key=name.lower(), sales_tax_code=codes[0],
                          sales_exempt_tax_code=codes[1], purchase_tax_code=codes[2],
                          purchase_exempt_tax_code=codes[3])
        db.session.add(company)
        db.session.flush()
        for location in locations:
            db.session.add(CompanyLocation(account_id=account.id, company_id=company.id, psa_location_id=location))
        tokens = xero_tokens(base, tenant)
        db.session.add(XeroConnection(account_id=account.id, company_id=company.id, tenant_id=tenant,
                                      tenant_name=name, access_token_enc=encrypt(tokens.access_token),
                                      refresh_token_enc=encrypt(tokens.refresh_token), expires_at=tokens.expires_at,
                                      scope=tokens.scope, status="ok"))
        companies.append(company)
    db.session.commit()
    return admin, companies, tokens


def sync_pass(admin, companies) -> tuple[float, float, dict]:
    from wisesync.transactions import services
    from wisesync.transactions.models import TransactionRun
    from wisesync.extensions import db
    from wisesync.transactions.reading import review

    baseline, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    from collections import Counter

    from wisesync.accounting import xero_http

    by_kind, attempt = Counter(), xero_http.XeroTransport._attempt

    def counted(self, method, url, **kwargs):  # what Wise-Sync sent to Xero, by call
        by_kind[f"{method} {url.rsplit('/', 1)[-1]}"] += 1
        return attempt(self, method, url, **kwargs)

    xero_http.XeroTransport._attempt = counted
    started, outcome = time.perf_counter(), {"rows": 0, "posted": 0, "blocked": 0, "failed": 0, "review": 0.0}
    for company in companies:
        at = time.perf_counter()
        result = review(company, admin)
        outcome["review"] += time.perf_counter() - at
        assert not result.problems, [str(p) for p in result.problems]
        outcome["rows"] += len(result.rows)
        run, started_now = services.start_run(company, actor=admin, selected=None, identity_label="bench")
        assert started_now
        run = db.session.get(TransactionRun, run.id)
        assert run.status == "succeeded", (run.message, run.fix)
        for key in ("posted", "blocked", "failed"):
            outcome[key] += services.progress(run)["counts"][key]
    elapsed = time.perf_counter() - started
    xero_http.XeroTransport._attempt = attempt
    outcome["by_kind"] = dict(sorted(by_kind.items()))
    done.set()
    sampler.join()
    return elapsed, max(0, peak[0] - baseline) / 1e6, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    sizes = {"invoices": args.invoices, "procurement": 0, "companies": args.customers}
    with simulator(200, sizes) as base:
        run_benchmark(base, args)


def run_benchmark(base: str, args) -> None:
    import logging

    from cryptography.fernet import Fernet
    from flask_migrate import upgrade

    from wisesync.app import create_app
    from wisesync.extensions import db
    from wisesync.transactions.models import XeroCallSlot, XeroLimitState

    tmp = tempfile.mkdtemp(prefix="wisesync-bench-")
    app = create_app({"SECRET_KEY": "bench", "WISESYNC_SECRETS_KEYS": [Fernet.generate_key().decode()],
                      "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
                      "INSTANCE_PATH": tmp, "WISESYNC_ALLOW_LOCAL_PSA": True, "WISESYNC_JOBS": "immediate",
                      "WISESYNC_XERO_CLIENT_ID": "simxero", "WISESYNC_XERO_CLIENT_SECRET": "simxero-secret",
                      "WISESYNC_XERO_AUTHORIZE_URL": base + "/xero/identity/connect/authorize",
                      "WISESYNC_XERO_IDENTITY_URL": base + "/xero/identity",
                      "WISESYNC_XERO_API_URL": base + "/xero/api"})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("wisesync").setLevel(logging.WARNING)
    raws, raw_calls, syncs, growths, calls, outcome = [], {}, [], [], [], {}
    with app.app_context():
        upgrade()
        for round_no in range(args.rounds):
            reset(base)
            tokens = {tenant: xero_tokens(base, tenant) for _n, tenant, _l, _c in COMPANIES}
            elapsed, raw_calls = raw_pass(base, tokens)
            raws.append(elapsed)
            reset(base)
            db.session.query(XeroCallSlot).delete()  # the last round's calls are not this minute's
            db.session.query(XeroLimitState).delete()
            db.session.commit()
            from wisesync.transactions.reading import forget_catalog

            for _n, tenant, _l, _c in COMPANIES:  # each round reads the organisations afresh
                forget_catalog(tenant)
            admin, companies, _ = set_up_account(base, round_no)
            elapsed, growth, outcome = sync_pass(admin, companies)
            syncs.append(elapsed)
            growths.append(growth)
            probe = {tenant: xero_tokens(base, tenant) for _n, tenant, _l, _c in COMPANIES}
            calls.append({t: xero_calls_counted(base, probe[t].access_token, t) for t in probe})

    raw, sync = statistics.median(raws), statistics.median(syncs)
    per_org = calls[-1]
    total_calls = sum(per_org.values())
    goal = -(-args.invoices // 50)
    print(f"records per pass: {args.invoices:,} invoices (5 GL lines each, {args.customers:,} customers) into "
          f"2 companies / 2 Xero organisations, {args.rounds} rounds")
    print(f"records synced: {outcome['posted']:,} posted, {outcome['blocked']:,} blocked, "
          f"{outcome['failed']:,} failed (of {outcome['rows']:,} reviewed)")
    print("raw floor:     " + ", ".join(f"{t:.2f}s" for t in raws) + f"  (median {raw:.2f}s; "
          f"{raw_calls['cw']:,} ConnectWise + {raw_calls['xero']} Xero calls)")
    print("review + sync: " + ", ".join(f"{t:.2f}s" for t in syncs) + f"  (median {sync:.2f}s, "
          f"review {outcome['review']:.2f}s of the last)")
    print(f"ratio sync/raw (medians): {sync / raw:.2f}  (goal <= 1.3) {'OK' if sync / raw <= 1.3 else 'OVER'}")
    puts = sum(n for kind, n in outcome["by_kind"].items() if kind in ("PUT Invoices", "PUT CreditNotes"))
    print(f"Xero calls used: {total_calls} as Xero counted them ({', '.join(str(n) for n in per_org.values())} "
          f"per organisation): {puts} document PUTs (the raw floor makes {raw_calls['xero']}) + "
          f"{total_calls - puts} others  (goal <= {goal} PUTs + a few) "
          f"{'OK' if puts <= raw_calls['xero'] and total_calls - puts <= 8 * len(COMPANIES) else 'OVER'}")
    print("  by call: " + ", ".join(f"{kind} {n}" for kind, n in outcome["by_kind"].items()))
    print(f"peak memory growth during review + sync: {max(growths):.1f} MB  (goal <= 100 MB) "
          f"{'OK' if max(growths) <= 100 else 'OVER'}")


if __name__ == "__main__":
    main()
