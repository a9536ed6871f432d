"""The benchmark scripts still run and print their measured ratio (tiny sizes; no timing is
asserted — the numbers themselves are read by people, from full-size runs)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script,args,expect", [
    ("pages.py", ["--requests", "10", "--rounds", "1", "--products", "1200", "--products-small", "300",
                  "--repeats", "1", "--db", "sqlite"],
     r"queries GET /users: 10 users=(\d+) 1000 users=\1 equal[\s\S]*sqlite: worst per-page growth ratio=\d"),
    ("load.py", ["--duration", "2", "--sessions", "2", "--workers", "1", "--rounds", "2", "--products", "600",
                 "--audit", "300", "--db", "sqlite"], r"sqlite +requests=\d+ .* errors=0"),
    ("psa_fetch.py", ["--records", "1500", "--rounds", "1"], r"client peak memory growth"),
    ("pull.py", ["--products", "1200", "--companies", "60", "--agreements", "60", "--rounds", "1"],
     r"records per pass: 1,323"),
    ("sync.py", ["--invoices", "60", "--customers", "12", "--rounds", "1"],
     r"records synced: 5\d posted, \d+ blocked, 0 failed \(of 60 reviewed\)"),
])
def test_benchmark_runs_and_prints_its_ratio(script, args, expect):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(expect, done.stdout), done.stdout
    assert re.search(r"ratio[^\n]*?(\d+\.\d+)", done.stdout), done.stdout
