"""Faults on demand.

Two ways to ask:
- per request, a header ``X-Sim-Fault`` (or query parameter ``_fault``) such as
  ``429;retry_after=1`` or ``deny;right=companies`` — several separated by commas;
- for a while, ``POST /_sim/faults`` with JSON ``{"kind": "500", "target": "cw-rest",
  "after": 3, "count": 2}`` (``DELETE /_sim/faults`` clears them all, ``GET`` lists them).

Kinds: ``auth`` (credentials rejected; ``code`` picks a variant where the PSA has several), ``deny`` (a security-role right missing; ``right``),
``429`` (with ``retry_after``), ``500``, ``slow`` (``seconds``), ``malformed`` (bad JSON/XML),
``drop`` (connection closed mid-body), ``absent`` (SOAP only: the service is not there, as on
a tenant since ConnectWise retired SOAP — a 404 page, or with ``code=login`` a sign-in page). Targets: ``cw-rest``, ``cw-soap``, ``at``, ``xero``
(identity, connections and accounting API; ``auth`` there is a 401 or, at the token endpoint,
``invalid_grant``), ``any``.
``after`` lets that many matching requests through first (a fault mid-pull); ``count`` expires
the fault after firing that many times.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

from flask import Response

KINDS = {"auth", "deny", "429", "500", "slow", "malformed", "drop", "absent"}
TARGETS = {"cw-rest", "cw-soap", "at", "xero", "google", "any"}


@dataclass
class Fault:
    kind: str
    target: str = "any"
    right: str | None = None
    code: str | None = None  # a variant of the kind, e.g. ``auth;code=UserNotAuthenticated``
    path: str | None = None  # only requests whose path contains this
    after: int = 0
    count: int | None = None
    retry_after: float = 1.0
    seconds: float = 2.0
    seen: int = field(default=0, repr=False)
    fired: int = field(default=0, repr=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {sorted(KINDS)}")
        if self.target not in TARGETS:
            raise ValueError(f"unknown fault target {self.target!r}; use one of {sorted(TARGETS)}")

    def applies_to(self, target: str, path: str) -> bool:
        return self.target in ("any", target) and (self.path is None or self.path in path)

    def as_dict(self) -> dict:
        return asdict(self)


def parse_spec(spec: str, target: str) -> list[Fault]:
    """``"429;retry_after=1, deny;right=companies"`` → faults for this one request."""
    faults = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, *options = [x.strip() for x in part.split(";")]
        values: dict = {"kind": kind, "target": target}
        for option in options:
            key, _, value = option.partition("=")
            if key in ("retry_after", "seconds"):
                values[key] = float(value)
            elif key in ("right", "path", "code"):
                values[key] = value
        faults.append(Fault(**values))
    return faults


class FaultBoard:
    """Faults set through the admin endpoint; thread-safe (the simulator is threaded)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def firing(self, target: str, path: str) -> list[Fault]:
        """The faults that fire for this request, counting it against ``after``/``count``."""
        out = []
        with self._lock:
            for fault in list(self._faults):
                if not fault.applies_to(target, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                fault.fired += 1
                out.append(fault)
                if fault.count is not None and fault.fired >= fault.count:
                    self._faults.remove(fault)
        return out


def request_faults(board: FaultBoard, target: str, request) -> list[Fault]:
    """Faults for ``request``: the per-request header/query ones plus the board's."""
    spec = request.headers.get("X-Sim-Fault") or request.args.get("_fault") or ""
    return parse_spec(spec, target) + board.firing(target, request.path)


def find(faults: list[Fault], kind: str) -> Fault | None:
    return next((f for f in faults if f.kind == kind), None)


def denied_rights(faults: list[Fault]) -> set[str]:
    return {f.right for f in faults if f.kind == "deny" and f.right}


def dropped_response(body: bytes, content_type: str) -> Response:
    """Announce the full length, send half, close: the client sees the connection drop mid-body."""
    half = body[: max(1, len(body) // 2)]

    def stream():
        yield half
        raise ConnectionAbortedError("simulated drop")  # werkzeug closes the socket

    response = Response(stream(), content_type=content_type)
    response.headers["Content-Length"] = str(len(body))
    return response
