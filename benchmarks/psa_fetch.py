"""Fetch 50,000 ConnectWise catalog items through the client and through a plain requests loop.

    .venv/bin/python benchmarks/psa_fetch.py [--records 50000] [--rounds 5]

Starts the simulator in a subprocess (its work is not counted), then alternates the two passes (best of ``--rounds`` each,
so neither pays for warm-up alone). Prints both times, the client pass's peak memory growth
(tracemalloc: flat because pages stream), and last ``ratio=<client time / raw time>`` (goal ≤ 1.1).
"""
from __future__ import annotations

import argparse
import base64
import sys
import time
import tracemalloc
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wisesync.psa.connectwise_rest import PAGE_SIZE, ConnectWiseRestClient  # noqa: E402
from wisesync.psa.http import OutboundPolicy  # noqa: E402
from wisesync.simulator import demo  # noqa: E402
from benchmarks.simproc import simulator  # noqa: E402


def client_pass(url: str) -> int:
    client = ConnectWiseRestClient(url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                   "benchmark", policy=OutboundPolicy(allow_local=True))
    return sum(1 for _ in client.catalog_items())


def raw_pass(url: str) -> int:
    token = base64.b64encode(f"{demo.CW_COMPANY_ID}+{demo.CW_PUBLIC_KEY}:{demo.CW_PRIVATE_KEY}".encode())
    headers = {"Authorization": "Basic " + token.decode(), "clientId": "benchmark",
               "Accept": "application/vnd.connectwise.com+json; version=2025.1"}
    session = requests.Session()
    codebase = session.get(f"{url}/login/companyinfo/{demo.CW_COMPANY_ID}", timeout=30).json()["Codebase"]
    total, page = 0, 1
    while True:
        response = session.get(f"{url}/{codebase}apis/3.0/procurement/catalog", headers=headers,
                               params={"pageSize": PAGE_SIZE, "page": page}, timeout=30)
        response.raise_for_status()
        for _ in response.json():
            total += 1
        if "next" not in response.links:
            return total
        page += 1


def timed(fn, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn(url)
    return time.perf_counter() - start, count


def peak_growth(fn, url: str) -> int:
    """Peak traced allocation growth in this process during ``fn``."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    fn(url)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with simulator(args.records) as url:
        client_times, raw_times = [], []
        for _ in range(args.rounds):
            for fn, times in ((raw_pass, raw_times), (client_pass, client_times)):
                seconds, count = timed(fn, url)
                assert count == args.records, f"{fn.__name__} fetched {count}, expected {args.records}"
                times.append(seconds)
        peak = peak_growth(client_pass, url)
        raw_peak = peak_growth(raw_pass, url)
    client_best, raw_best = min(client_times), min(raw_times)
    print(f"records={args.records} page_size={PAGE_SIZE} rounds={args.rounds}")
    print(f"client: best {client_best:.2f}s  ({', '.join(f'{t:.2f}' for t in client_times)})")
    print(f"raw requests: best {raw_best:.2f}s  ({', '.join(f'{t:.2f}' for t in raw_times)})")
    print(f"client peak memory growth: {peak / 1e6:.1f} MB for {args.records} records "
          f"(raw loop: {raw_peak / 1e6:.1f} MB; one {PAGE_SIZE}-record page in flight)")
    print(f"ratio={client_best / raw_best:.3f}")


if __name__ == "__main__":
    main()
