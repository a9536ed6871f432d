"""Result types for "Test connection": one :class:`Check` per step, in a :class:`ConnectionReport`.

Shared by every PSA client (ConnectWise REST and SOAP, Autotask). Check order is
"Reached host", "Authenticated", then one check per right the integration needs. A check
that could not run because an earlier one failed is reported as not ok with a detail saying
so. Nothing here may contain a secret: ``detail`` and ``fix`` are shown to people and stored.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Check:
    """One step of a connectivity test. ``fix`` says what to do when ``ok`` is False."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    # The PSA's own code and message (secrets scrubbed), shown under the explanation so an
    # admin can search for it or quote it to the PSA's support.
    psa_said: str = ""

    @classmethod
    def from_error(cls, name: str, error, fix: str | None = None) -> "Check":
        """A failed check from a ``PsaError``: its explanation, its fix (or ``fix``), its PSA words."""
        return cls(name, False, error.explanation, error.fix if fix is None else fix,
                   getattr(error, "psa_message", None) or "")


@dataclass
class ConnectionReport:
    """All checks of one connectivity test; connected only when every check passed."""

    checks: list[Check] = field(default_factory=list)
    via: str = ""  # how it connected when that is not the usual way, e.g. "REST, as jsmith"

    @property
    def connected(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def status_word(self) -> str:
        if not self.connected:
            return "Not connected"
        return f"Connected ({self.via})" if self.via else "Connected"

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def as_dict(self) -> dict:
        data = {"connected": self.connected, "checks": [asdict(check) for check in self.checks]}
        return {**data, "via": self.via} if self.via else data

    @classmethod
    def from_dict(cls, data: dict | None) -> "ConnectionReport":
        checks = []
        for item in (data or {}).get("checks", []):
            checks.append(Check(name=str(item.get("name", "")), ok=bool(item.get("ok")),
                                detail=str(item.get("detail") or ""), fix=str(item.get("fix") or ""),
                                psa_said=str(item.get("psa_said") or "")))
        return cls(checks=checks, via=str((data or {}).get("via") or ""))
