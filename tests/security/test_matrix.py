"""The authorization matrix: every route × {anonymous, user, QLink admin, admin, other account's admin}.

A new route fails ``test_every_route_has_a_matrix_entry`` until it gets a row here: run
``pytest tests/security/discover.py -s`` to print what each persona gets, check each cell is
what the product promises, and paste the row. Columns, in order: anonymous, user, qlink,
foreign_admin, admin. Requests carry an empty form (CSRF off) and this account's object ids;
the foreign admin's 404s are the "ids swapped between accounts" rule.

Reading the codes: 302 anonymous = sent to log in; 403 = the "no permission" page; 303 qlink =
the QLink password step (DESIGN §5); 404 foreign_admin = another account's object; 400 = the
empty form was refused with field messages.
"""
from __future__ import annotations

import pytest

from tests.security.world import PERSONAS, build_world, client_for, routes, url_for_rule


def row(anonymous, user, qlink, foreign_admin, admin) -> dict:
    return dict(zip(PERSONAS, (anonymous, user, qlink, foreign_admin, admin)))


LOGGED_IN_PAGE = row(302, 200, 200, 200, 200)
ADMIN_PAGE_SENSITIVE = row(302, 403, 303, 200, 200)  # admin-only, password step for QLink sessions
OBJ_SENSITIVE_200 = row(302, 403, 303, 404, 200)  # admin-only page about one of the account's objects
OBJ_SENSITIVE_302 = row(302, 403, 303, 404, 302)  # ... its form, saved and redirected
NOT_FOUND_FOR_ALL = row(404, 404, 404, 404, 404)
REDIRECT_FOR_ALL = row(302, 302, 302, 302, 302)

MATRIX = {
    ("auth.home", "GET"): LOGGED_IN_PAGE,
    ("auth.home_unposted", "GET"): LOGGED_IN_PAGE,
    ("qlink.open_account", "GET"): NOT_FOUND_FOR_ALL,
    ("security.account", "GET"): ADMIN_PAGE_SENSITIVE,
    ("security.account", "POST"): row(302, 403, 303, 400, 400),
    ("qlink.generate_account", "POST"): ADMIN_PAGE_SENSITIVE,
    ("qlink.revoke_account", "POST"): row(302, 403, 303, 302, 302),
    ("security.audit", "GET"): ADMIN_PAGE_SENSITIVE,
    ("security.audit_csv", "GET"): ADMIN_PAGE_SENSITIVE,
    ("companies.index", "GET"): ADMIN_PAGE_SENSITIVE,
    ("companies.create", "POST"): row(302, 403, 303, 400, 400),
    ("companies.edit", "GET"): OBJ_SENSITIVE_200,
    ("companies.edit", "POST"): OBJ_SENSITIVE_302,
    ("companies.new", "GET"): ADMIN_PAGE_SENSITIVE,
    ("companies.new", "POST"): row(302, 403, 303, 400, 400),
    # The world's company is ticked for its user, so deleting it is refused with what refers to it.
    ("companies.delete", "POST"): row(302, 403, 303, 404, 409),
    ("qlink.embedded_login", "GET"): REDIRECT_FOR_ALL,
    ("auth.healthz", "GET"): row(200, 200, 200, 200, 200),
    ("integrations.index", "GET"): ADMIN_PAGE_SENSITIVE,
    ("integrations.autotask", "POST"): row(302, 403, 303, 404, 404),
    ("integrations.connectwise", "POST"): row(302, 403, 303, 400, 400),
    ("integrations.sync", "POST"): row(302, 403, 303, 302, 302),
    ("integrations.sync_status", "GET"): OBJ_SENSITIVE_200,
    ("auth.login", "GET"): row(200, 302, 302, 302, 302),
    ("auth.login", "POST"): row(400, 400, 400, 400, 400),
    ("security.verify", "GET"): REDIRECT_FOR_ALL,
    ("security.verify", "POST"): REDIRECT_FOR_ALL,
    ("security.verify_resend", "POST"): REDIRECT_FOR_ALL,
    ("auth.logout", "POST"): REDIRECT_FOR_ALL,
    ("auth.profile", "GET"): LOGGED_IN_PAGE,
    ("auth.profile", "POST"): row(302, 400, 400, 400, 400),
    ("psadata.agreements", "GET"): LOGGED_IN_PAGE,
    ("psadata.customers", "GET"): LOGGED_IN_PAGE,
    ("psadata.products", "GET"): LOGGED_IN_PAGE,
    ("qlink.use", "GET"): NOT_FOUND_FOR_ALL,
    ("qlink.admin", "GET"): ADMIN_PAGE_SENSITIVE,
    ("qlink.reauth", "GET"): LOGGED_IN_PAGE,
    ("qlink.reauth", "POST"): row(302, 400, 400, 400, 400),
    ("security.reset_request", "GET"): row(200, 200, 200, 200, 200),
    ("security.reset_request", "POST"): row(400, 400, 400, 400, 400),
    ("security.reset_password", "GET"): NOT_FOUND_FOR_ALL,
    ("security.reset_password", "POST"): NOT_FOUND_FOR_ALL,
    ("auth.setup", "GET"): NOT_FOUND_FOR_ALL,
    ("auth.setup", "POST"): NOT_FOUND_FOR_ALL,
    ("users.index", "GET"): ADMIN_PAGE_SENSITIVE,
    ("users.edit", "GET"): OBJ_SENSITIVE_200,
    ("users.edit", "POST"): OBJ_SENSITIVE_302,
    ("credentials.autotask", "GET"): row(302, 404, 303, 404, 404),
    ("credentials.autotask", "POST"): row(302, 404, 303, 404, 404),
    ("credentials.autotask_test", "POST"): row(302, 404, 303, 404, 404),
    ("credentials.connectwise", "GET"): OBJ_SENSITIVE_200,
    ("credentials.connectwise", "POST"): OBJ_SENSITIVE_302,
    ("credentials.connectwise_api", "GET"): OBJ_SENSITIVE_200,
    ("credentials.connectwise_api", "POST"): OBJ_SENSITIVE_302,
    ("credentials.connectwise_api_test", "POST"): row(302, 403, 303, 404, 303),  # 303: POST/redirect/GET
    ("credentials.connectwise_test", "POST"): row(302, 403, 303, 404, 303),
    ("users.disable", "GET"): OBJ_SENSITIVE_200,
    ("users.disable", "POST"): OBJ_SENSITIVE_302,
    ("users.enable", "POST"): OBJ_SENSITIVE_302,
    ("users.password", "GET"): OBJ_SENSITIVE_200,
    ("users.password", "POST"): row(302, 403, 303, 404, 400),
    ("credentials.page", "GET"): OBJ_SENSITIVE_200,
    ("qlink.generate", "POST"): OBJ_SENSITIVE_200,
    ("qlink.revoke", "POST"): OBJ_SENSITIVE_302,
    ("users.new", "GET"): ADMIN_PAGE_SENSITIVE,
    ("users.payment_links", "GET"): ADMIN_PAGE_SENSITIVE,
    ("users.payment_links", "POST"): row(302, 403, 303, 400, 400),
    ("users.payment_link_deactivate", "POST"): row(302, 403, 303, 404, 303),
    ("users.new", "POST"): row(302, 403, 303, 400, 400),
    # Xero per company (admins; a QLink session gives the password first). The OAuth callback
    # is no sensitive endpoint of its own: without the state a password-checked connect left in
    # this session it is a 400.
    ("companies.xero_connect", "POST"): row(302, 403, 303, 404, 303),
    ("companies.xero_disconnect", "POST"): row(302, 403, 303, 404, 303),
    ("companies.xero_tenant", "GET"): row(302, 403, 303, 404, 303),
    ("companies.xero_tenant", "POST"): row(302, 403, 303, 404, 303),
    ("companies.xero_test", "POST"): OBJ_SENSITIVE_200,
    ("xero.callback", "GET"): row(302, 403, 400, 400, 400),
    # Syncing: every logged-in person, for the companies they may sync (the world's user has
    # the company ticked); the run id in the world is a pull's, so no transaction run matches.
    ("transactions.index", "GET"): LOGGED_IN_PAGE,
    ("transactions.ledger", "GET"): LOGGED_IN_PAGE,
    ("transactions.review", "GET"): row(302, 200, 200, 404, 200),
    ("transactions.start", "POST"): row(302, 400, 400, 404, 400),
    # Sync payments now: no form fields, so every person who may sync the company starts (or
    # is sent to) its one active run.
    ("transactions.payments", "POST"): row(302, 303, 303, 404, 303),
    ("transactions.run", "GET"): row(302, 404, 404, 404, 404),
    # A person's own Google account (no user id in the URL: everyone acts on their own), behind
    # the QLink password step like the PSA credentials. An empty callback is refused (no flow).
    ("google.page", "GET"): row(302, 200, 303, 200, 200),
    ("google.connect", "POST"): row(302, 303, 303, 303, 303),
    ("google.disconnect", "POST"): row(302, 303, 303, 303, 303),
    ("google.callback", "GET"): row(302, 400, 303, 400, 400),
    # Documents of a record: whoever may sync the company (the world's user has it ticked); the
    # empty form is a 400 with the field's message; retry of the world's refused attachment.
    ("documents.record", "GET"): row(302, 200, 200, 404, 200),
    ("documents.upload", "POST"): row(302, 400, 400, 404, 400),
    ("documents.from_drive", "POST"): row(302, 400, 400, 404, 400),
    ("documents.retry", "POST"): row(302, 303, 303, 404, 303),
}


def test_every_route_has_a_matrix_entry(app):
    present = {(rule.endpoint, method) for rule, method in routes(app)}
    missing = sorted(present - set(MATRIX))
    stale = sorted(set(MATRIX) - present)
    assert not missing, f"routes without an authorization-matrix row (add them to MATRIX): {missing}"
    assert not stale, f"MATRIX rows for routes that no longer exist (remove them): {stale}"


@pytest.mark.parametrize("endpoint,method", sorted(MATRIX))
def test_authorization_matrix(app, endpoint, method):
    rule = next((r for r in app.url_map.iter_rules() if r.endpoint == endpoint), None)
    if rule is None:
        pytest.skip(f"{endpoint} is not installed (the coverage test reports stale rows)")
    world = build_world()
    url = url_for_rule(rule, world)
    got = {}
    for persona in PERSONAS:  # admin last: its POST may change what the others would see
        response = client_for(app, world, persona).open(url, method=method, data={})
        got[persona] = response.status_code
    assert got == MATRIX[(endpoint, method)], f"{method} {url}"


def test_other_accounts_ids_are_404_on_every_route_with_an_id(app):
    """Independent of the matrix rows: any <int:…> route, any method, foreign admin → 404."""
    world = build_world()
    client = client_for(app, world, "foreign_admin")
    checked = 0
    for rule, method in routes(app):
        if not any(arg.endswith("_id") for arg in rule.arguments):
            continue
        response = client.open(url_for_rule(rule, world), method=method, data={})
        assert response.status_code == 404, f"{method} {rule.rule} → {response.status_code}"
        checked += 1
    assert checked >= 10
