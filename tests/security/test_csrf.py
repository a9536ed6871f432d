"""Every POST route refuses a request without the CSRF token (400), for every persona."""
from __future__ import annotations

import re

import pytest

from tests.builders import DEFAULT_PASSWORD
from tests.security.world import build_world, routes, url_for_rule


@pytest.fixture
def app_config(mail_config):
    return {**mail_config, "WTF_CSRF_ENABLED": True}


def _token(client, path="/login") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client, user):
    r = client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD,
                                    "csrf_token": _token(client)})
    assert r.status_code == 302


def test_every_post_without_csrf_token_is_400(app):
    world = build_world()
    anonymous, admin = app.test_client(), app.test_client()
    _login(admin, world.admin)
    posts = [(rule, url_for_rule(rule, world)) for rule, method in routes(app) if method == "POST"]
    assert len(posts) >= 20
    for rule, url in posts:
        for who, client in (("anonymous", anonymous), ("admin", admin)):
            response = client.post(url, data={"password": "x"})
            assert response.status_code == 400, f"{who} POST {rule.rule} → {response.status_code}"
            assert "form expired" in response.get_data(as_text=True), rule.rule
    assert admin.get("/profile").status_code == 200  # nothing above logged the admin out


def test_with_the_token_the_same_post_goes_through(app):
    world = build_world()
    client = app.test_client()
    _login(client, world.admin)
    r = client.post("/account", data={"name": "Renamed MSP", "two_factor": "off",
                                      "csrf_token": _token(client, "/account")})
    assert r.status_code == 302
