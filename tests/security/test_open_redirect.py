"""Finding 2: no open redirect through ``next`` (login, the QLink password step, the 2FA step).

``BYPASSES`` are the known ways to make a "relative" URL leave the site once a browser has
normalised it (WHATWG URL parsing: tabs and newlines dropped anywhere, leading C0 controls and
spaces trimmed, ``\\`` read as ``/``), plus encodings a server or proxy may decode on the way.
Every one must end at a local path, and none may give a 500.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin
from wisesync.auth.access import safe_next

SITE = "http://localhost/"
BYPASSES = [
    "//evil.example", "///evil.example", "////evil.example", "/\\evil.example", "\\\\evil.example",
    "\\/evil.example", "/\\/evil.example", "/%09/evil.example", "/\t/evil.example", "/\n/evil.example",
    "/\r/evil.example", "/%0A/evil.example", "/%0D/evil.example", "%0A//evil.example", " //evil.example",
    "\x00//evil.example", "\x1f//evil.example", "/\x0b/evil.example", "/%2f%2fevil.example", "%2f%2fevil.example",
    "/%2F/evil.example", "%2F%2Fevil.example", "/%5cevil.example", "/%5c%5cevil.example", "%5c%5cevil.example",
    "/%252f%252fevil.example", "https://evil.example", "http:evil.example", "https:/evil.example",
    "https:\\\\evil.example", "HTTPS://evil.example", "//user@evil.example", "/\\user:pw@evil.example",
    "http://localhost@evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "/..//evil.example", "/./\\evil.example", "/.//evil.example",
    "/a/../..//evil.example", "/%2e%2e//evil.example", "\u3002evil.example", "//evil%E3%80%82example",
    "/\u2215/evil.example", "\t//evil.example", "/\\\tevil.example", "evil.example", "@evil.example",
    "/" + "x" * 5000, "/%", "/%zz", "/\ud800", "/\x7f/evil.example",
]
GOOD = ["/users", "/users/3?tab=qlink", "/psa/customers?q=a%20b&page=2", "/", "/audit#top"]


def _lands_locally(location: str) -> bool:
    """Where a browser goes with this ``Location``: this site, at a path that is no authority."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").strip("".join(map(chr, range(33))))
    target = urlsplit(urljoin(SITE, cleaned.replace("\\", "/")))
    return target.scheme == "http" and target.netloc == "localhost" and not target.path.startswith("//")


@pytest.mark.parametrize("target", BYPASSES)
def test_safe_next_refuses_every_known_bypass(target):
    result = safe_next(target, "/home")
    assert result.startswith("/") and not result.startswith(("//", "/\\"))
    assert _lands_locally(result), result


@pytest.mark.parametrize("target", GOOD)
def test_safe_next_keeps_a_path_on_this_site(target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize("target", [None, "", "   "])
def test_safe_next_without_a_target_is_the_default(target):
    assert safe_next(target, "/home") == "/home"


@pytest.fixture
def admin(app):
    return make_admin(make_account())


SENDABLE = [t for t in BYPASSES if not any(0xD800 <= ord(c) <= 0xDFFF for c in t)]


def _answer_lands_locally(response) -> bool:
    """Never a 500; a redirect goes to this site (a NUL is refused with a 400 before any view)."""
    assert response.status_code < 500, response.status_code
    return response.status_code == 400 or _lands_locally(response.headers["Location"])


@pytest.mark.parametrize("target", SENDABLE)
def test_login_with_a_bypass_next_lands_on_this_site(app, admin, target):
    response = app.test_client().post("/login", query_string={"next": target},
                                      data={"username": admin.username, "password": DEFAULT_PASSWORD})
    assert _answer_lands_locally(response), response.headers.get("Location")


@pytest.mark.parametrize("target", SENDABLE)
def test_reauth_with_a_bypass_next_lands_on_this_site(app, target):
    from tests.security.world import build_world, client_for

    world = build_world()
    client = client_for(app, world, "qlink")
    page = client.get("/reauth", query_string={"next": target})
    assert page.status_code in (200, 400)
    response = client.post("/reauth", query_string={"next": target}, data={"password": DEFAULT_PASSWORD})
    assert _answer_lands_locally(response), response.headers.get("Location")


@pytest.mark.parametrize("target", ["/%09/evil.example", "/\\evil.example", "/%0A/evil.example",
                                    "/%2f%2fevil.example", "https://evil.example"])
def test_two_factor_step_with_a_bypass_next_lands_on_this_site(app, target, mailbox):
    admin = make_admin(make_account(two_factor="required"))
    client = app.test_client()
    first = client.post("/login", query_string={"next": target},
                        data={"username": admin.username, "password": DEFAULT_PASSWORD})
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/verify")
    with client.session_transaction() as s:  # as if an older version had stored it raw
        s["pending_login_next"] = target
    response = client.post("/login/verify", data={"code": mailbox.code()})
    assert response.status_code == 302
    assert _lands_locally(response.headers["Location"]), response.headers["Location"]
