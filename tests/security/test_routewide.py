"""Classes of attack from the outside test, run over every route the app has (new ones too).

Each test walks ``routes(app)`` like the authorization matrix, so a route added later is
covered without anyone remembering to add it here.
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.security.world import build_world, client_for, routes, url_for_rule

REDIRECT_BYPASSES = ["//evil.example", "/\t/evil.example", "/\\evil.example", "/%2f%2fevil.example",
                     "https://evil.example", "/\n/evil.example"]
HUGE_IDS = [2**31, 2**63, 10**30, "9" * 5000]


def _huge_id_url(rule, world, value) -> str:
    """The rule's URL with every ``<int:…_id>`` set to ``value``."""
    import re

    url = rule.rule
    for arg in rule.arguments:
        source = re.search(r"<([^>]*:)?" + re.escape(arg) + r">", url).group(0)
        url = url.replace(source, str(value) if arg.endswith("_id") else "x")
    return url


def _lands_locally(location: str) -> bool:
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").strip("".join(map(chr, range(33))))
    target = urlsplit(urljoin("http://localhost/", cleaned.replace("\\", "/")))
    return target.netloc == "localhost" and not target.path.startswith("//")


def test_ids_beyond_the_database_integer_are_404_on_every_route_with_an_id(app):
    """ids ≥ 2**31 (PostgreSQL) or ≥ 2**63 (SQLite) used to be a 500."""
    world = build_world()
    client = client_for(app, world, "admin")
    checked = 0
    for rule, method in routes(app):
        if not any(arg.endswith("_id") for arg in rule.arguments):
            continue
        for value in HUGE_IDS:
            url = _huge_id_url(rule, world, value)
            response = client.open(url, method=method, data={})
            assert response.status_code == 404, f"{method} {rule.rule} with {str(value)[:20]} → {response.status_code}"
            checked += 1
    assert checked >= 40


@pytest.mark.parametrize("persona", ["anonymous", "admin"])
def test_huge_numbers_in_the_query_string_never_give_a_500(app, persona):
    world = build_world()
    client = client_for(app, world, persona)
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint in ("auth.logout",):
            continue
        url = url_for_rule(rule, world)
        for value in (2**31, 2**63, -(2**63), "9" * 5000):
            response = client.get(url, query_string={"page": value, "user": value, "run": value,
                                                     "company": value, "id": value})
            assert response.status_code < 500, f"GET {rule.rule}?page={str(value)[:20]} → {response.status_code}"


@pytest.mark.parametrize("persona", ["anonymous", "admin"])
def test_every_post_refuses_an_oversized_body_with_a_413(app, persona):
    world = build_world()
    client = client_for(app, world, persona)
    for rule, method in routes(app):
        if method not in ("POST", "PUT", "PATCH"):
            continue
        # An upload view (wisesync.web.allow_large_body) has a limit of its own: just past it.
        limit = getattr(app.view_functions[rule.endpoint], "max_content_length", app.config["MAX_CONTENT_LENGTH"])
        body = "x=" + "a" * (limit + 1)
        response = client.open(url_for_rule(rule, world), method=method, data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 413, f"{method} {rule.rule} → {response.status_code}"


@pytest.mark.parametrize("persona", ["anonymous", "qlink", "admin"])
def test_no_route_redirects_off_site_through_next(app, persona):
    world = build_world()
    client = client_for(app, world, persona)
    for rule, method in routes(app):
        if rule.endpoint == "auth.logout":
            continue
        url = url_for_rule(rule, world)
        for target in REDIRECT_BYPASSES:
            response = client.open(url, method=method, query_string={"next": target},
                                   data={"next": target})
            assert response.status_code < 500, f"{method} {rule.rule} next={target!r} → 500"
            location = response.headers.get("Location")
            if location:
                assert _lands_locally(location), f"{method} {rule.rule} next={target!r} → {location}"


@pytest.mark.parametrize("persona", ["user", "qlink", "admin"])
def test_every_logged_in_page_is_no_store(app, persona):
    world = build_world()
    client = client_for(app, world, persona)
    for rule, method in routes(app):
        if method != "GET":
            continue
        response = client.get(url_for_rule(rule, world))
        if response.status_code == 302 and response.headers["Location"].endswith("/login"):
            continue  # not a logged-in page (any more)
        assert "no-store" in response.headers.get("Cache-Control", ""), f"GET {rule.rule}"


def test_with_a_public_url_every_route_refuses_another_host(app):
    """TRUSTED_HOSTS: whatever a route would build from the Host header, it never sees a forged one."""
    app.config.update(WISESYNC_PUBLIC_URL="https://portal.example.com",
                      TRUSTED_HOSTS=["portal.example.com"])
    world = build_world()
    client = app.test_client()
    for rule, method in routes(app):
        response = client.open(url_for_rule(rule, world), method=method, data={},
                               base_url="http://evil.example")
        assert response.status_code == 400, f"{method} {rule.rule} → {response.status_code}"
        assert "not Wise-Sync's address" in response.get_data(as_text=True)
