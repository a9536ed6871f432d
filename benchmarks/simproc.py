"""The PSA simulator in a subprocess, so its CPU and memory are not counted against what a
benchmark measures in its own process (an in-process simulator shares the GIL)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]

SIM_CODE = """
import json, logging, sys
from werkzeug.serving import make_server
from wisesync.simulator.server import create_sim_app
logging.getLogger("werkzeug").setLevel(logging.ERROR)
app = create_sim_app(records=int(sys.argv[2]), sizes=json.loads(sys.argv[3]))
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def simulator(records: int, sizes: dict[str, int] | None = None):
    """Yield the base URL of a simulator with ``records`` of each kind (``sizes`` overrides)."""
    import json

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SIM_CODE, str(port), str(records),
                             json.dumps(sizes or {})], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/_sim/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
