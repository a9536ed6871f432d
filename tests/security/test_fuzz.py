"""hypothesis posts random values to every form of the portal: never a 500.

Field names come from the form's own page when it has one (inputs, selects, textareas), plus
the names DESIGN §6 gives; values are random text, including the usual suspects (NUL bytes,
huge numbers, markup, SQL, URLs).
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.world import build_world, client_for, routes, url_for_rule

SPECIAL = ["", " ", "0", "-1", "1e309", "99999999999999999999999", "on", "y", "required", "off",
           "connectwise", "autotask", "account-admin", "user", "a@b.co", "\x00", "\x00abc",
           "'; DROP TABLE users;--", "<script>alert(1)</script>", "http://127.0.0.1:1/",
           "../../etc/passwd", "%00", "\u202e\u0000\ud7ff", "x" * 5000, "123456", "na", "self"]
VALUES = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=80))
DESIGN_FIELDS = {"username", "password", "password_confirm", "email", "name", "two_factor", "code",
                 "role", "companies", "first_name", "last_name", "sales_tax_code", "purchase_tax_code",
                 "cw_member_id", "cw_member_password", "cw_member_password_confirm", "cw_public_key",
                 "cw_private_key", "cw_is_primary", "at_username", "at_password", "at_password_confirm",
                 "cw_company_id", "cw_site", "cw_region", "cw_client_id", "at_secret",
                 "at_integration_code", "at_zone_url", "save_anyway", "current_password", "next"}
SKIP = {"auth.logout"}  # no fields, and it would end the fuzzing session


def _pinned(endpoint: str, sim_url: str) -> dict:
    """Integration settings keep their host on the simulator: random hosts would send the
    fuzzer to DNS. Invalid hosts have their own test below."""
    if endpoint.startswith("integrations."):
        return {"cw_region": "self", "cw_site": sim_url,
                "at_zone_url": sim_url + "/atservicesrest/v1.0/"}
    return {}


def _field_names(client, url: str) -> set[str]:
    page = client.get(url)
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page.get_data(as_text=True)))
    return (names - {"csrf_token"}) or set(DESIGN_FIELDS)


def _forms(app, world):
    for rule, method in routes(app):
        if method == "POST" and rule.endpoint not in SKIP:
            yield rule, url_for_rule(rule, world)


@pytest.mark.parametrize("persona", ["anonymous", "admin"])
def test_random_form_input_never_gives_a_500(app, persona, psa_sim):
    app.config["WISESYNC_AUTOTASK_ZONE_LOOKUP_URL"] = psa_sim.url + "/atservicesrest/v1.0/zoneInformation"
    world = build_world()
    client = client_for(app, world, persona)
    for rule, url in _forms(app, world):
        pinned = _pinned(rule.endpoint, psa_sim.url)
        names = sorted((_field_names(client, url) | {"password", "email", "name"}) - set(pinned))

        @settings(max_examples=12, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
        @given(data=st.fixed_dictionaries({}, optional={n: VALUES for n in names}))
        def post_random(data):
            response = client.post(url, data={**data, **pinned})
            assert response.status_code < 500, f"POST {rule.rule} {data!r} → {response.status_code}"

        post_random()


@pytest.mark.parametrize("site", ["../../etc/passwd", "a..b"])
def test_invalid_connectwise_site_is_a_field_error_not_a_500(app, site):
    world = build_world()
    client = client_for(app, world, "admin")
    response = client.post("/integrations/connectwise", data={
        "cw_company_id": "acme", "cw_region": "self", "cw_site": site, "cw_public_key": "pub",
        "cw_private_key": "priv", "cw_client_id": "cid"})
    assert response.status_code == 400


@pytest.mark.parametrize("method,url,data", [
    ("POST", "/login", {"username": "\x00", "password": "0"}),
    ("GET", "/psa/customers?q=%00", None),
    ("GET", "/reset-password/%00", None),
    ("POST", "/reset-password", {"email": "a\x00@b.co"}),
])
def test_nul_characters_are_a_400_on_every_database(app, method, url, data):
    """PostgreSQL raises on NUL in text (fuzzing found /login and /companies/<id> giving 500)."""
    world = build_world()
    response = client_for(app, world, "admin").open(url, method=method, data=data)
    assert response.status_code == 400
