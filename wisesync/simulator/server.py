"""The simulator's Flask app and how to run it (CLI, or in a thread for tests and benchmarks)."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from wisesync.simulator.faults import Fault, FaultBoard


@dataclass
class SimState:
    records: int = 200
    wsdl_dir: str | None = None
    faults: FaultBoard = field(default_factory=FaultBoard)
    # Per-kind sizes (companies, contacts, agreements, catalog, members, invoices, procurement)
    # that differ from ``records``, e.g. 50,000 catalog items beside 5,000 companies.
    sizes: dict[str, int] = field(default_factory=dict)

    def size(self, kind: str) -> int:
        return max(0, self.sizes.get(kind, self.records))


SIZED_KINDS = ("companies", "contacts", "agreements", "catalog", "members", "invoices",
               "procurement")


def create_sim_app(records: int = 200, wsdl_dir: str | None = None,
                   sizes: dict[str, int] | None = None) -> Flask:
    unknown = set(sizes or {}) - set(SIZED_KINDS)
    if unknown:
        raise ValueError(f"unknown record kinds {sorted(unknown)}; use {', '.join(SIZED_KINDS)}")
    app = Flask("wisesync.simulator")
    state = SimState(records=records, wsdl_dir=wsdl_dir, sizes=dict(sizes or {}))
    app.extensions["psa_sim"] = state

    @app.get("/_sim/health")
    def health():
        return {"ok": True, "records": state.records,
                "sizes": {kind: state.size(kind) for kind in SIZED_KINDS}}

    @app.route("/_sim/faults", methods=["GET", "POST", "DELETE"])
    def faults():
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            try:
                state.faults.add(Fault(**(request.get_json(force=True) or {})))
            except (TypeError, ValueError) as exc:
                return {"error": str(exc)}, 400
        return jsonify(state.faults.list())

    @app.post("/_sim/reset")
    def reset():
        """Restore every seed: ConnectWise batches/payments/tokens, the Xero organisations and
        the Autotask invoice writes (webServiceDate, paidDate...) and the records changed or
        deleted through /_sim/records."""
        for part in ("cw_books", "xero", "at_invoices", "at_limits", "psa_changes", "google"):
            if getattr(state, part, None) is not None:
                getattr(state, part).reset()
        return {"ok": True}

    for module in _PSA_MODULES:
        _register(app, module)
    return app


# Each PSA module exposes ``register(app, state)``.
_PSA_MODULES = ("wisesync.simulator.psa_changes", "wisesync.simulator.cw_rest", "wisesync.simulator.cw_soap",
                "wisesync.simulator.autotask",
                "wisesync.simulator.xero_identity", "wisesync.simulator.xero_api",
                "wisesync.simulator.xero_admin", "wisesync.simulator.xero_attachments",
                "wisesync.simulator.google_identity", "wisesync.simulator.google_drive")


def _register(app: Flask, module_name: str) -> None:
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return
    module.register(app, app.extensions["psa_sim"])


def serve(host: str = "127.0.0.1", port: int = 8081, records: int = 200,
          wsdl_dir: str | None = None, sizes: dict[str, int] | None = None) -> None:
    app = create_sim_app(records=records, wsdl_dir=wsdl_dir, sizes=sizes)
    print(f"PSA simulator on http://{host}:{port}/ ({records} records of each kind)", flush=True)
    make_server(host, port, app, threaded=True).serve_forever()


class RunningSim:
    """A simulator on a free loopback port, in a background thread."""

    def __init__(self, records: int = 200, wsdl_dir: str | None = None, host: str = "127.0.0.1",
                 sizes: dict[str, int] | None = None):
        self.app = create_sim_app(records=records, wsdl_dir=wsdl_dir, sizes=sizes)
        self.state: SimState = self.app.extensions["psa_sim"]
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(host, 0, self.app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "RunningSim":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
