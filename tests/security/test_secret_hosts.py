"""Finding 4: a stored secret is only ever sent to the host it was saved for.

The attack: an admin (or whoever holds an admin session) types a host of theirs as the
ConnectWise site with the private key left blank, and Test and Save sent
``company+public:private`` there; after that site change, the per-user tests sent each user's
member password and API keys there too. ``capture`` is that host: it records every request.
"""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from tests.credentials.helpers import API, MEMBER
from tests.integrations.helpers import at_form, cw_form, sim_app_config
from wisesync.credentials.models import PsaCredential
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings
from wisesync.psa.errors import PsaConfigError
from wisesync.simulator import demo


class Capture:
    """A host that is not the PSA: it records what it is sent."""

    def __init__(self):
        self.requests: list[dict] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                capture.requests.append({"method": self.command, "path": self.path,
                                         "headers": dict(self.headers),
                                         "body": self.rfile.read(length).decode("latin-1")})
                # Enough ConnectWise to be sent credentials: a codebase, then 401 to everything.
                known = "companyinfo" in self.path.lower()
                body = b'{"Codebase": "v2025_1/", "CompanyName": "x"}' if known else b'{"code": "x"}'
                self.send_response(200 if known else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _record

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def everything_sent(self) -> str:
        """Every header value (Basic auth decoded) and body the host received, as one text."""
        parts = []
        for request in self.requests:
            for value in request["headers"].values():
                parts.append(value)
                if value.startswith("Basic "):
                    parts.append(base64.b64decode(value[6:]).decode("latin-1"))
            parts.append(request["body"])
        return "\n".join(parts)


@pytest.fixture
def capture():
    host = Capture()
    yield host
    host.server.shutdown()


@pytest.fixture
def app_config(mail_config, psa_sim):
    return {**mail_config, **sim_app_config(psa_sim)}


def _client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client


def _settings(account_id: int) -> IntegrationSettings:
    db.session.expire_all()
    return db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == account_id))


@pytest.fixture
def cw_admin(app, psa_sim, sim_faults):
    account = make_account("Acme MSP", "connectwise")
    admin = make_admin(account)
    client = _client(app, admin)
    assert client.post("/integrations/connectwise", data=cw_form(psa_sim)).status_code == 200
    assert _settings(account.id).cw_private_key_enc
    return admin, client


@pytest.mark.parametrize("save_anyway", [None, "y"])
def test_a_new_site_with_a_blank_private_key_is_a_field_error_and_sends_nothing(cw_admin, capture, psa_sim,
                                                                                  save_anyway):
    admin, client = cw_admin
    response = client.post("/integrations/connectwise", data=cw_form(
        psa_sim, cw_region="self", cw_site=capture.url, cw_private_key="", save_anyway=save_anyway))
    assert response.status_code == 400
    assert "enter the private key again" in response.get_data(as_text=True)
    assert capture.requests == []
    assert _settings(admin.account_id).cw_site != capture.url


def test_the_same_site_written_differently_keeps_the_stored_key(cw_admin, psa_sim):
    admin, client = cw_admin
    response = client.post("/integrations/connectwise", data=cw_form(
        psa_sim, cw_site=psa_sim.url.upper().replace("HTTP://", "http://") + "/v4_6_release/apis/3.0",
        cw_private_key=""))
    assert response.status_code == 200 and "Connected" in response.get_data(as_text=True)


def test_a_new_site_with_the_key_typed_again_is_tested_there(cw_admin, capture, psa_sim):
    admin, client = cw_admin
    response = client.post("/integrations/connectwise", data=cw_form(
        psa_sim, cw_region="self", cw_site=capture.url, cw_private_key="typed-again"))
    assert response.status_code == 200
    assert "typed-again" in capture.everything_sent()  # the admin's own choice, typed for that host
    assert demo.CW_PRIVATE_KEY not in capture.everything_sent()


@pytest.fixture
def at_admin(app, psa_sim, sim_faults):
    account = make_account("AT MSP", "autotask")
    admin = make_admin(account)
    client = _client(app, admin)
    zone = f"{psa_sim.url}/ATServicesRest/"
    assert client.post("/integrations/autotask", data=at_form(at_zone_url=zone)).status_code == 200
    assert _settings(account.id).at_secret_enc
    return admin, client, zone


def test_a_new_autotask_zone_with_a_blank_secret_is_a_field_error_and_sends_nothing(at_admin, capture):
    admin, client, _ = at_admin
    response = client.post("/integrations/autotask", data=at_form(
        at_zone_url=capture.url + "/ATServicesRest/", at_secret=""))
    assert response.status_code == 400
    assert "enter the secret again" in response.get_data(as_text=True)
    assert capture.requests == []


def test_a_new_autotask_username_with_a_blank_secret_asks_for_the_secret(at_admin):
    admin, client, zone = at_admin
    response = client.post("/integrations/autotask", data=at_form(
        at_zone_url=zone, at_username="someone-else@wisesim.example", at_secret=""))
    assert response.status_code == 400 and "enter the secret again" in response.get_data(as_text=True)
    same = client.post("/integrations/autotask", data=at_form(at_zone_url=zone, at_secret=""))
    assert same.status_code == 200


def test_per_user_secrets_saved_for_the_old_site_are_refused_after_a_site_change(app, cw_admin, capture,
                                                                                   psa_sim):
    admin, client = cw_admin
    user = make_user(db.session.get(type(admin), admin.id).account)
    assert client.post(f"/users/{user.id}/connectwise", data=MEMBER).status_code in (302, 303)
    assert client.post(f"/users/{user.id}/connectwise-api", data=API).status_code in (302, 303)
    # The site moves to the capture host (with a key typed for it, saved despite the failed test).
    moved = client.post("/integrations/connectwise", data=cw_form(
        psa_sim, cw_region="self", cw_site=capture.url, cw_private_key="typed-again", save_anyway="y"))
    assert moved.status_code == 200 and _settings(admin.account_id).cw_site == capture.url
    before = len(capture.requests)
    for kind in ("connectwise", "connectwise-api"):
        page = client.post(f"/users/{user.id}/{kind}/test", follow_redirects=True)
        assert page.status_code == 200
        assert "only sends a stored secret to the address it was saved for" in page.get_data(as_text=True)
    sent = capture.everything_sent()
    assert demo.CW_MEMBER_PASSWORD not in sent and demo.CW_PRIVATE_KEY not in sent
    assert len(capture.requests) == before
    # Typed again, the key is bound to the new site and goes there.
    client.post(f"/users/{user.id}/connectwise-api", data=API)
    client.post(f"/users/{user.id}/connectwise-api/test")
    assert demo.CW_PRIVATE_KEY in capture.everything_sent()


def test_a_per_user_secret_remembers_where_it_was_saved_for(app, cw_admin, psa_sim):
    admin, client = cw_admin
    client.post(f"/users/{admin.id}/connectwise-api", data=API)
    cred = db.session.scalar(select(PsaCredential).where(PsaCredential.user_id == admin.id))
    assert cred.secret_host == psa_sim.url.lower()


def test_the_sync_refuses_a_users_api_key_saved_for_another_site(app, cw_admin, capture):
    from wisesync.transactions import identity as sync_identity

    admin, client = cw_admin
    client.post(f"/users/{admin.id}/connectwise-api", data=API)
    settings = _settings(admin.account_id)
    settings.cw_site = capture.url  # the site changed after the key was saved
    db.session.commit()
    chosen = sync_identity.choose(admin.account, admin)
    assert chosen.source == "own"
    with pytest.raises(PsaConfigError, match="saved for"):
        sync_identity.rest_client(admin.account, chosen, impersonate=False)
    assert capture.requests == []


def test_migration_binds_existing_secrets_to_the_current_site(tmp_path):
    """Upgrading an install: secrets saved before 0008 keep working with today's site."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from wisesync.app import create_app

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "x", "WISESYNC_SECRETS_KEYS": ["x" * 43 + "="]})
    with app.app_context():
        upgrade(revision="0007_transactions")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO accounts (id, name, psa_type, two_factor, created_at) "
                                 "VALUES (1, 'A', 'connectwise', 'off', CURRENT_TIMESTAMP), "
                                 "(2, 'B', 'autotask', 'off', CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO users (id, account_id, role, first_name, last_name, email, username, "
                "password_hash, enabled, session_version, created_at) VALUES "
                "(1, 1, 'account-admin', 'A', 'B', 'a@x.co', 'a@x.co', 'h', 1, 0, CURRENT_TIMESTAMP),"
                "(2, 2, 'account-admin', 'A', 'B', 'b@x.co', 'b@x.co', 'h', 1, 0, CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO integration_settings (account_id, cw_company_id, cw_site, cw_public_key, "
                "cw_client_id, at_username, at_integration_code, at_zone_url, at_zone_detected, "
                "at_zone_name, saved_untested, updated_at) VALUES "
                "(1, 'c', 'eu', 'p', 'i', '', '', '', '', '', 0, CURRENT_TIMESTAMP),"
                "(2, '', '', '', '', 'u', 'code', '', '', '', 0, CURRENT_TIMESTAMP)"))
            conn.execute(sa.text(
                "INSERT INTO psa_credentials (account_id, user_id, kind, login, secret_enc, is_primary, "
                "created_at, updated_at) VALUES "
                "(1, 1, 'connectwise-api', 'pub', 'tok', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),"
                "(2, 2, 'autotask', 'me@x.co', 'tok', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        upgrade()
        with engine.connect() as conn:
            hosts = dict(conn.execute(sa.text("SELECT kind, secret_host FROM psa_credentials")).all())
            claims = conn.execute(sa.text("SELECT COUNT(*) FROM setup_claims")).scalar()
        engine.dispose()
    assert hosts == {"connectwise-api": "https://api-eu.myconnectwise.net",
                     "autotask": "autotask-zone-lookup"}
    assert claims == 1  # an install with users counts as set up
