"""Connect and disconnect a person's own Google account (issue 15): PKCE S256 and minimal scopes
asked, the address and date shown, tokens encrypted and never shown, revocation at Google on
disconnect, and nobody reaches someone else's Google account."""
from __future__ import annotations

import base64
import hashlib

import pytest
import requests
from sqlalchemy import select

from tests.builders import make_account, make_admin, make_user
from tests.google.google_flow import back_in_portal, connect, consent, google_config, query_of, sim_state, start
from wisesync.extensions import db
from wisesync.google.models import GoogleAccount


@pytest.fixture
def app_config(psa_sim):
    return google_config(psa_sim.url)


@pytest.fixture
def people(app, google_sim):
    account = make_account()
    admin = make_admin(account, first_name="Ada")
    pat = make_user(account, first_name="Pat", email="pat@acme.example")
    return account, admin, pat


def test_connect_asks_google_for_openid_email_and_drive_readonly_with_pkce_s256(client, login, people):
    login(people[2])
    url = start(client)
    params = query_of(url)
    assert url.startswith(google_sim_url(client))
    assert params["scope"] == "openid email https://www.googleapis.com/auth/drive.readonly"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["access_type"] == "offline" and params["state"]
    assert params["redirect_uri"].endswith("/google/callback")


def google_sim_url(client) -> str:
    return client.application.config["WISESYNC_GOOGLE_AUTHORIZE_URL"]


def test_connecting_shows_the_address_and_when_and_stores_tokens_encrypted(client, login, people, google_sim):
    _, _, pat = people
    login(pat)
    response = connect(client, "pat.finance@gmail.example")
    assert response.status_code == 303 and response.headers["Location"].endswith("/google")
    page = client.get("/google").get_data(as_text=True)
    assert "Connected" in page and "pat.finance@gmail.example" in page and " UTC" in page
    acc = db.session.scalar(select(GoogleAccount).where(GoogleAccount.user_id == pat.id))
    assert acc.email == "pat.finance@gmail.example"
    grant = next(iter(google_sim.state.google.grants.values()))
    assert grant.refresh_token not in acc.refresh_token_enc  # encrypted at rest
    assert grant.refresh_token not in page and acc.refresh_token_enc not in page
    assert "Disconnect" in page


def test_disconnect_revokes_at_google_and_deletes_the_tokens(client, login, people, google_sim):
    _, _, pat = people
    login(pat)
    connect(client, "pat@gmail.example")
    response = client.post("/google/disconnect")
    assert response.status_code == 303
    assert db.session.scalar(select(GoogleAccount)) is None
    revocations = sim_state(google_sim)["revocations"]
    assert [(r["email"], r["token_type"]) for r in revocations] == [("pat@gmail.example", "refresh_token")]
    assert all(g["revoked"] for g in sim_state(google_sim)["grants"])
    page = client.get("/google").get_data(as_text=True)
    assert "Not connected" in page and "Google revoked Wise-Sync" in page


def test_cancel_at_google_connects_nothing(client, login, people):
    login(people[2])
    response = back_in_portal(client, consent(start(client), "pat@gmail.example", action="cancel"))
    assert response.status_code == 303
    assert db.session.scalar(select(GoogleAccount)) is None
    assert "You cancelled at Google" in client.get("/google").get_data(as_text=True)


def test_an_answer_from_google_meant_for_another_person_saves_nothing(app, client, login, people):
    """Pat starts Connect; Uma's browser is handed Google's answer: refused, nothing saved."""
    _, admin, pat = people
    login(pat)
    location = consent(start(client), "pat@gmail.example")
    other = app.test_client()
    other.post("/login", data={"username": admin.username, "password": "Correct-Horse-9"})
    refused = back_in_portal(other, location)
    assert refused.status_code == 400
    assert "nothing was saved" in refused.get_data(as_text=True)
    assert db.session.scalar(select(GoogleAccount)) is None


def test_a_replayed_callback_is_refused(client, login, people):
    login(people[2])
    location = consent(start(client), "pat@gmail.example")
    assert back_in_portal(client, location).status_code == 303
    again = back_in_portal(client, location)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)


def test_an_admin_sees_whether_a_user_is_connected_never_the_address_token_or_buttons(app, client, login, people):
    _, admin, pat = people
    login(pat)
    connect(client, "pat.private@gmail.example")
    acc = db.session.scalar(select(GoogleAccount))
    admin_client = app.test_client()
    admin_client.post("/login", data={"username": admin.username, "password": "Correct-Horse-9"})
    page = admin_client.get(f"/users/{pat.id}").get_data(as_text=True)
    assert 'id="google"' in page and "Connected" in page
    assert "pat.private@gmail.example" not in page and acc.access_token_enc not in page
    assert "/google/disconnect" not in page and "/google/connect" not in page
    # The admin's own Disconnect acts on the admin's own (absent) account, never Pat's.
    admin_client.post("/google/disconnect")
    assert db.session.scalar(select(GoogleAccount)).user_id == pat.id


def test_a_user_cannot_open_someone_elses_user_page_or_google_account(app, client, login, people):
    _, admin, pat = people
    uma = make_user(people[0], first_name="Uma", email="uma@acme.example")
    login(pat)
    connect(client, "pat@gmail.example")
    other = app.test_client()
    other.post("/login", data={"username": uma.username, "password": "Correct-Horse-9"})
    assert other.get(f"/users/{pat.id}").status_code == 403
    page = other.get("/google").get_data(as_text=True)
    assert "pat@gmail.example" not in page and "Not connected" in page


def test_unconfigured_google_says_how_to_enable_it(app, client, login, people):
    app.config["WISESYNC_GOOGLE_CLIENT_ID"] = ""
    _, admin, _ = people
    login(admin)
    page = client.get(f"/users/{admin.id}").get_data(as_text=True)
    assert "Google is not enabled" in page and "WISESYNC_GOOGLE_CLIENT_ID" in page and "/google/callback" in page
    assert client.post("/google/connect").status_code == 303


def test_the_own_profile_links_to_the_google_account(client, login, people):
    login(people[2])
    assert "/google" in client.get("/profile").get_data(as_text=True)


def test_google_tokens_are_rotated_by_rotate_secrets(app, client, login, people):
    from cryptography.fernet import Fernet

    from wisesync.credentials.rotation import encrypted_columns, rotate_secrets
    from wisesync.crypto import decrypt

    assert any(t.name == "google_accounts" and {c.name for c in cols} == {"access_token_enc", "refresh_token_enc"}
               for t, cols in encrypted_columns())
    login(people[2])
    connect(client, "pat@gmail.example")
    before = decrypt(db.session.scalar(select(GoogleAccount)).refresh_token_enc)
    keys = [Fernet.generate_key().decode(), *app.config["WISESYNC_SECRETS_KEYS"]]
    counts = rotate_secrets(keys)
    assert counts["google_accounts.refresh_token_enc"] == 1
    db.session.expire_all()
    assert decrypt(db.session.scalar(select(GoogleAccount)).refresh_token_enc, [keys[0]]) == before


def test_the_simulator_refuses_a_wrong_pkce_verifier(google_sim):
    verifier = "a" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = google_sim.state.google.issue_code("simgoogle", "http://x/cb", "openid email offline", challenge, "a@b.c")
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://x/cb",
            "client_id": "simgoogle", "client_secret": "simgoogle-secret"}
    wrong = requests.post(google_sim.url + "/google/token", data={**base, "code_verifier": "b" * 64}, timeout=10)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    again = requests.post(google_sim.url + "/google/token", data={**base, "code_verifier": verifier}, timeout=10)
    assert again.status_code == 400  # the code was spent by the failed attempt


def test_the_page_with_the_connect_button_lets_its_form_lead_to_googles_sign_in(client, login, people, psa_sim):
    login(people[2])
    policy = client.get("/google").headers["Content-Security-Policy"]
    assert f"form-action 'self' {psa_sim.url}" in policy
    assert "form-action 'self';" in client.get("/profile").headers["Content-Security-Policy"]
