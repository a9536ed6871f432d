"""A QLink session asks for the password before sensitive actions (one central rule)."""
from __future__ import annotations

import time

from flask_login import login_required

from tests.builders import DEFAULT_PASSWORD
from tests.qlink.helpers import cw_account_with_people
from wisesync.qlink import services
from wisesync.qlink.policy import is_sensitive


def _qlink_login(client, user, admin):
    token = services.generate_qlink(user, actor=admin)
    assert client.get(f"/q/{token}").status_code == 303
    return token


def test_qlink_session_must_give_the_password_before_generating_a_qlink(app, client):
    _, admin, user = cw_account_with_people()
    _qlink_login(client, admin, admin)  # an admin's QLink: the very case the rule is for
    before = services.qlink_for(user)
    response = client.post(f"/users/{user.id}/qlink",
                           headers={"Referer": f"http://localhost/users/{user.id}"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/reauth?next=/users/{user.id}"
    assert services.qlink_for(user) is before is None

    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Confirm your password" in page.get_data(as_text=True)
    assert 'autocomplete="current-password"' in page.get_data(as_text=True)
    wrong = client.post(response.headers["Location"], data={"password": "not-it"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.get_data(as_text=True)
    right = client.post(response.headers["Location"], data={"password": DEFAULT_PASSWORD})
    assert right.status_code == 302 and right.headers["Location"] == f"/users/{user.id}"
    assert client.post(f"/users/{user.id}/qlink").status_code == 200
    assert services.qlink_for(user) is not None


def test_qlink_session_viewing_user_management_asks_too_and_comes_back(app, client):
    _, admin, _ = cw_account_with_people()
    _qlink_login(client, admin, admin)
    response = client.get("/users?q=ada")
    assert response.status_code == 303 and response.headers["Location"] == "/reauth?next=/users?q%3Dada"
    done = client.post(response.headers["Location"], data={"password": DEFAULT_PASSWORD})
    assert done.headers["Location"] == "/users?q=ada"
    assert client.get("/users?q=ada").status_code == 200


def test_everyday_pages_do_not_ask(app, client):
    _, admin, user = cw_account_with_people()
    _qlink_login(client, user, admin)
    assert client.get("/").status_code == 200
    assert client.get("/profile").status_code == 200


def test_password_session_is_not_asked(app, client, login):
    _, admin, user = cw_account_with_people()
    login(admin)
    assert client.post(f"/users/{user.id}/qlink").status_code == 200


def test_mark_does_not_follow_into_another_users_password_login(app, client, login):
    _, admin, user = cw_account_with_people()
    _qlink_login(client, user, admin)
    client.post("/logout")
    login(admin)
    assert client.get("/users").status_code == 200


def test_password_confirmation_lapses_after_fifteen_minutes(app, client):
    _, admin, _ = cw_account_with_people()
    _qlink_login(client, admin, admin)
    client.post("/reauth", data={"password": DEFAULT_PASSWORD})
    assert client.get("/users").status_code == 200
    with client.session_transaction() as s:
        s["qlink_reauth_at"] = int(time.time()) - 16 * 60
    assert client.get("/users").status_code == 303


def test_json_callers_get_401_with_where_to_confirm(app, client):
    _, admin, _ = cw_account_with_people()
    _qlink_login(client, admin, admin)
    response = client.get("/users", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.get_json()["reauth"].startswith("/reauth")


def test_routes_added_later_under_a_sensitive_blueprint_are_covered(app, client):
    @login_required
    def future_view():
        return "secret settings"

    app.add_url_rule("/future-secret", endpoint="credentials.future_secret_view",
                     view_func=future_view, methods=["GET", "POST"])
    _, admin, user = cw_account_with_people()
    _qlink_login(client, user, admin)
    assert client.post("/future-secret").status_code == 303
    assert client.get("/future-secret").status_code == 303


def test_sensitive_set_by_prefix():
    for endpoint in ("users.index", "users.edit", "users.disable", "credentials.save_member",
                     "integrations.connectwise", "integrations.sync", "security.account",
                     "security.audit", "companies.index", "companies.edit", "qlink.generate", "qlink.revoke", "qlink.generate_account",
                     "qlink.revoke_account", "qlink.admin"):
        assert is_sensitive(endpoint), endpoint
    for endpoint in ("auth.home", "auth.profile", "auth.logout", "psadata.customers",
                     "qlink.use", "qlink.open_account", "qlink.reauth", None):
        assert not is_sensitive(endpoint), endpoint


def test_reauth_next_is_never_an_open_redirect(app, client):
    _, admin, _ = cw_account_with_people()
    _qlink_login(client, admin, admin)
    response = client.post("/reauth?next=//evil.example/x", data={"password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/"
