"""The simulated Google's memory, attached as ``state.google``: OAuth clients, codes, grants and
tokens, the revocations tests look at, and one small Drive per signed-in address.

Lifetimes as Google documents them: codes are single use (Google does not publish their
lifetime; 10 minutes here, UNVERIFIED), access tokens last one hour (``expires_in: 3599``), and
refresh tokens do not rotate: a refresh answers a new access token and no new refresh token.
Revoking either token of a grant ends the whole grant (Google: "If the token is an access token
and it has a corresponding refresh token, the refresh token will also be revoked").
"""
from __future__ import annotations

import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field

CLIENTS = {"simgoogle": "simgoogle-secret"}
DEMO_EMAIL = "finance@wisesim.example"
CODE_LIFETIME = 600
ACCESS_LIFETIME = 3599
KNOWN_SCOPES = frozenset({"openid", "email", "profile", "https://www.googleapis.com/auth/drive.readonly",
                          "https://www.googleapis.com/auth/drive.file",
                          "https://www.googleapis.com/auth/drive.metadata.readonly"})
DRIVE_READ = {"https://www.googleapis.com/auth/drive.readonly", "https://www.googleapis.com/auth/drive"}


def tiny_pdf(title: str) -> bytes:
    """A valid one-page PDF showing ``title`` (correct xref offsets, so readers open it)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiny_png() -> bytes:
    """A valid 1×1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) \
        + chunk(b"IEND", b"")


@dataclass
class SimFile:
    id: str
    name: str
    mime_type: str
    content: bytes
    modified: str  # RFC 3339
    trashed: bool = False

    def resource(self) -> dict:
        body = {"kind": "drive#file", "id": self.id, "name": self.name, "mimeType": self.mime_type,
                "modifiedTime": self.modified, "trashed": self.trashed}
        if not self.mime_type.startswith("application/vnd.google-apps."):
            body["size"] = str(len(self.content))  # Drive sends int64 as a string; none for Docs
        return body


def seed_files() -> list[SimFile]:
    return [
        SimFile("1AcmeSupplierBill0001", "Supplier bill VINV-70001.pdf", "application/pdf",
                tiny_pdf("Supplier bill VINV-70001"), "2026-11-20T09:15:00.000Z"),
        SimFile("1SignedQuote00000002", "Signed quote Q-10001.pdf", "application/pdf",
                tiny_pdf("Signed quote Q-10001"), "2026-11-18T14:02:00.000Z"),
        SimFile("1DeliveryReceipt0003", "Delivery receipt.png", "image/png", tiny_png(),
                "2026-10-30T08:00:00.000Z"),
        SimFile("1OldContract00000004", "Old contract.pdf", "application/pdf", tiny_pdf("Old contract"),
                "2025-06-01T10:00:00.000Z", trashed=True),
        SimFile("1BudgetSheet00000005", "Budget 2027", "application/vnd.google-apps.spreadsheet", b"",
                "2026-11-01T12:00:00.000Z"),
    ]


@dataclass
class Grant:
    client_id: str
    email: str
    scope: str
    refresh_token: str
    revoked: bool = False
    access_tokens: dict[str, float] = field(default_factory=dict)  # token → expiry


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    email: str
    expires: float


class GoogleState:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.codes: dict[str, Code] = {}
        self.grants: dict[str, Grant] = {}  # by refresh token
        self.revocations: list[dict] = []  # what tests read: {"email", "token_type", "at"}
        self.drives: dict[str, list[SimFile]] = {}
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def drive(self, email: str) -> list[SimFile]:
        with self._lock:
            return self.drives.setdefault(email.lower(), seed_files())

    def issue_code(self, client_id, redirect_uri, scope, challenge, email) -> str:
        code = "4/" + secrets.token_urlsafe(32)
        self.codes[code] = Code(client_id, redirect_uri, scope, challenge, email, self.now() + CODE_LIFETIME)
        return code

    def new_access(self, grant: Grant) -> str:
        token = "ya29." + secrets.token_urlsafe(40)
        grant.access_tokens[token] = self.now() + ACCESS_LIFETIME
        return token

    def grant_for_access(self, token: str) -> Grant | None:
        for grant in self.grants.values():
            expires = grant.access_tokens.get(token)
            if expires is not None and not grant.revoked and expires > self.now():
                return grant
        return None

    def revoke(self, token: str) -> bool:
        with self._lock:
            for grant in self.grants.values():
                kind = "refresh_token" if grant.refresh_token == token else (
                    "access_token" if token in grant.access_tokens else None)
                if kind and not grant.revoked:
                    grant.revoked = True
                    self.revocations.append({"email": grant.email, "token_type": kind, "at": self.now()})
                    return True
        return False


def attach(state) -> GoogleState:
    google = getattr(state, "google", None)
    if google is None:
        google = state.google = GoogleState()
    return google
