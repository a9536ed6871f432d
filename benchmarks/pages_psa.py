"""The /psa/products page at 10k and at 200k products (issue 16), for benchmarks/pages.py.

Seeds products through Core inserts (the triggers and indexes of migration 0013 do their work,
as in a pull), then times each kind of page on the real server, server-side: a WSGI wrapper
measures from the request's arrival to the last byte of the page, so the client's own
overhead is not counted. Each page is the median of ``repeats`` views after one warm-up; the
first view of page 1 at each size (when the total is not yet cached) is printed on its own.
"""
from __future__ import annotations

import re
import statistics
import threading
import time
from decimal import Decimal

import requests
from sqlalchemy import insert, select, text

SHORT = "search 2 chars 'zq'"  # under 3 characters no trigram index helps: a scan, shown apart
WORDS = ("Laptop", "Firewall", "Backup", "Switch", "Licence", "Monitor", "Router", "Support",
         "Server", "Cable", "Printer", "Phone", "Storage", "Camera", "Headset", "Dock", "Tablet",
         "Keyboard", "Mouse", "Antivirus")


class ServerTimes:
    """WSGI middleware: how long the app took for each request (body included)."""

    def __init__(self, app):
        self.app, self.lock, self.last = app, threading.Lock(), 0.0

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        chunks = self.app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        with self.lock:
            self.last = time.perf_counter() - started
        return [body]


def seed_products(app, account_id: int, start: int, stop: int) -> None:
    """Products ``start``..``stop``-1: one in ten inactive, one in seven unpriced."""
    from wisesync.extensions import db
    from wisesync.psadata.models import PsaProduct

    with app.app_context():
        for first in range(start, stop, 5000):
            db.session.execute(insert(PsaProduct), [{
                "account_id": account_id, "kind": "catalog", "psa_id": i,
                "name": f"{WORDS[i % len(WORDS)]} {WORDS[(i // 20) % len(WORDS)].lower()} {i:07d}",
                "identifier": f"SKU-{i:07d}", "description": f"Item {i} of the benchmark catalog",
                "price": None if i % 7 == 0 else Decimal(i % 50_000) / 100, "active": i % 10 != 0,
            } for i in range(first, min(first + 5000, stop))])
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE psa_products"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def middle_key(app, account_id: int) -> str:
    """The after= key of the active product halfway down the name order (setup, not timed)."""
    from wisesync.extensions import db
    from wisesync.psadata.keyset import Key
    from wisesync.psadata.models import PsaProduct

    with app.app_context():
        where = (PsaProduct.account_id == account_id, PsaProduct.active == True)  # noqa: E712
        count = db.session.scalar(select(db.func.count()).select_from(PsaProduct).where(*where))
        row = db.session.execute(select(PsaProduct.id, PsaProduct.name).where(*where)
                                 .order_by(PsaProduct.name, PsaProduct.id).offset(count // 2).limit(1)).one()
        return Key(0, row.id, row.name).token()


def pages(session: requests.Session, base: str, app, account_id: int, size: int) -> dict[str, str]:
    common = session.get(f"{base}/psa/products?q=laptop").text
    after = re.search(r'rel="next" href="([^"]+)"', common)
    return {
        "page 1": "/psa/products",
        "middle page (after=)": f"/psa/products?after={middle_key(app, account_id)}",
        "last page": "/psa/products?last=1",
        "by price, page 1": "/psa/products?sort=price",
        "search 'laptop'": "/psa/products?q=laptop",
        "search 'laptop' page 2": after.group(1).replace("&amp;", "&") if after else "/psa/products?q=laptop",
        "search one SKU": f"/psa/products?q=SKU-{size // 2 + 1:07d}",
        SHORT: "/psa/products?q=zq",
    }


def time_pages(session, base: str, timer: ServerTimes, urls: dict[str, str], repeats: int) -> dict[str, tuple]:
    """``{label: (server ms, client ms)}``, medians over ``repeats`` views."""
    out = {}
    for label, path in urls.items():
        session.get(base + path)  # warm-up
        server, client = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            response = session.get(base + path)
            client.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            server.append(timer.last)
        out[label] = (statistics.median(server) * 1000, statistics.median(client) * 1000)
    return out


def first_view(session, base: str, timer: ServerTimes) -> float:
    session.get(f"{base}/psa/products?q=warm-up")  # templates compiled; a search counts afresh
    session.get(f"{base}/psa/products")
    return timer.last * 1000


def report(name: str, small: int, large: int, at_small: dict, at_large: dict, cold: tuple) -> float:
    print(f"/psa/products on {name}, server-side ms (median; client-side in brackets):")
    print(f"  {'page':<24} {small:>9,} {large:>17,}   growth")
    worst = 0.0
    for label, (server, client) in at_small.items():
        big_server, big_client = at_large[label]
        growth = big_server / server if server else 0.0
        if label != SHORT:
            worst = max(worst, growth)
        print(f"  {label:<24} {server:7.2f} ({client:5.1f}) {big_server:8.2f} ({big_client:6.1f})   x{growth:.2f}"
              + ("  (a scan, not in the worst)" if label == SHORT else ""))
    print(f"  first view of page 1, total not yet cached: {cold[0]:.2f} ms at {small:,}, {cold[1]:.2f} ms at {large:,}")
    print(f"{name}: worst per-page growth ratio={worst:.2f} (goal <= 2.0) {'OK' if worst <= 2 else 'OVER'}")
    return worst
