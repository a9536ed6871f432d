"""Integration Settings pages: Test and Save against the simulator, secrets, roles, audit."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.builders import make_account, make_admin, make_user
from tests.integrations.helpers import at_form, cw_form, save_cw_settings
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings
from wisesync.psadata.runs import SyncRun
from wisesync.psadata.models import PsaCustomer, PsaProduct
from wisesync.simulator import demo
from wisesync.simulator.faults import Fault


@pytest.fixture
def cw_admin(app, login):
    account = make_account(psa_type="connectwise")
    admin = make_admin(account)
    login(admin)
    return admin


@pytest.fixture
def at_admin(app, login):
    account = make_account(psa_type="autotask")
    admin = make_admin(account)
    login(admin)
    return admin


def settings_of(user) -> IntegrationSettings | None:
    return db.session.scalar(select(IntegrationSettings).where(IntegrationSettings.account_id == user.account_id))


def actions(user) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.account_id == user.account_id)
                                   .order_by(AuditEvent.id)))


def test_user_role_gets_403_on_every_integrations_url(app, client, login, psa_sim):
    account = make_account()
    login(make_user(account, role="user"))
    assert client.get("/integrations").status_code == 403
    assert client.post("/integrations/connectwise", data=cw_form(psa_sim)).status_code == 403
    assert client.post("/integrations/sync").status_code == 403
    assert client.get("/integrations/sync/1").status_code == 403
    assert settings_of(make_admin(account)) is None


def test_connectwise_account_sees_only_the_connectwise_section(client, cw_admin):
    page = client.get("/integrations").get_data(as_text=True)
    assert 'name="cw_company_id"' in page and 'name="at_username"' not in page
    assert client.post("/integrations/autotask", data=at_form()).status_code == 404


def test_autotask_account_sees_only_the_autotask_section(client, at_admin, psa_sim):
    page = client.get("/integrations").get_data(as_text=True)
    assert 'name="at_username"' in page and 'name="cw_company_id"' not in page
    assert client.post("/integrations/connectwise", data=cw_form(psa_sim)).status_code == 404


def test_connectwise_test_and_save_connects_saves_encrypted_and_pulls(client, cw_admin, psa_sim, sim_faults):
    response = client.post("/integrations/connectwise", data=cw_form(psa_sim))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Connected" in page and "Not connected" not in page and "Product catalog" in page
    settings = settings_of(cw_admin)
    assert settings.cw_company_id == demo.CW_COMPANY_ID and settings.cw_site == psa_sim.url
    assert settings.cw_private_key_enc and demo.CW_PRIVATE_KEY not in settings.cw_private_key_enc
    assert settings.cw_private_key_set_at is not None and settings.last_test.connected
    run = db.session.scalar(select(SyncRun).where(SyncRun.account_id == cw_admin.account_id))
    assert run.status == "succeeded", run.message
    assert run.counts == {"customers": 200, "agreements": 200, "products": 200, "locations": 3}
    assert db.session.scalar(select(func.count()).select_from(PsaCustomer)) == 200
    assert actions(cw_admin)[-3:] == ["integration.tested", "integration.settings_changed", "sync.started"]


def test_wrong_private_key_says_not_connected_with_the_fix_and_saves_nothing(client, cw_admin, psa_sim, sim_faults):
    response = client.post("/integrations/connectwise", data=cw_form(psa_sim, cw_private_key="wrong-key-123"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not connected" in page and "Incorrect public/private key" in page and "API Keys tab" in page
    assert "Not saved" in page and "wrong-key-123" not in page
    settings = settings_of(cw_admin)
    assert settings.cw_company_id == "" and settings.cw_private_key_enc is None
    assert not settings.last_test.connected
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 0
    assert "integration.settings_changed" not in actions(cw_admin)


def test_missing_security_right_names_the_failed_check(client, cw_admin, psa_sim, sim_faults):
    sim_faults.add(Fault(kind="deny", target="cw-rest", right="catalog"))
    page = client.post("/integrations/connectwise", data=cw_form(psa_sim)).get_data(as_text=True)
    assert "Not connected" in page
    failed = [c for c in settings_of(cw_admin).last_test.checks if not c.ok]
    assert [c.name for c in failed] == ["Product catalog"] and failed[0].fix


def test_save_anyway_saves_with_a_warning_and_does_not_pull(client, cw_admin, psa_sim, sim_faults):
    data = cw_form(psa_sim, cw_private_key="wrong-key-123", save_anyway="y")
    page = client.post("/integrations/connectwise", data=data).get_data(as_text=True)
    assert "Not connected" in page and "Saved although the test failed" in page
    settings = settings_of(cw_admin)
    assert settings.saved_untested and settings.cw_private_key_enc
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 0
    assert "saved although their test failed" in client.get("/integrations").get_data(as_text=True)


def test_empty_private_key_keeps_the_stored_one(client, cw_admin, psa_sim, sim_faults):
    stored = save_cw_settings(cw_admin.account, psa_sim)
    token, set_at = stored.cw_private_key_enc, stored.cw_private_key_set_at
    page = client.post("/integrations/connectwise", data=cw_form(psa_sim, cw_private_key="")).get_data(as_text=True)
    assert "Connected" in page and "Not connected" not in page
    settings = settings_of(cw_admin)
    assert settings.cw_private_key_enc == token and settings.cw_private_key_set_at == set_at


def test_empty_private_key_with_none_stored_is_a_400_field_error(client, cw_admin, psa_sim):
    response = client.post("/integrations/connectwise", data=cw_form(psa_sim, cw_private_key=""))
    assert response.status_code == 400
    assert "none is saved yet" in response.get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("cw_company_id", "", "Enter the ConnectWise company ID"),
    ("cw_site", "", "Pick a region"),
    ("cw_site", "not a host!", "not a ConnectWise site"),
    ("cw_client_id", "", "Client ID"),
])
def test_bad_connectwise_input_is_a_400_with_the_message_by_the_field(client, cw_admin, psa_sim, field, value, message):
    response = client.post("/integrations/connectwise", data=cw_form(psa_sim, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert settings_of(cw_admin) is None


def test_region_picker_wins_unless_self_hosted_is_chosen(app):
    from wisesync.integrations.forms import ConnectWiseSettingsForm

    with app.test_request_context(method="POST", data={"cw_region": "eu", "cw_site": "psa.example.com"}):
        assert ConnectWiseSettingsForm().site == "eu"
    with app.test_request_context(method="POST", data={"cw_region": "self", "cw_site": "psa.example.com"}):
        assert ConnectWiseSettingsForm().site == "psa.example.com"
    with app.test_request_context(method="POST", data={"cw_site": "aus"}):
        assert ConnectWiseSettingsForm().site == "aus"


def test_stored_secret_shows_only_its_date_never_the_value(client, cw_admin, psa_sim, sim_faults):
    client.post("/integrations/connectwise", data=cw_form(psa_sim))
    page = client.get("/integrations").get_data(as_text=True)
    assert "•••• set on" in page
    assert demo.CW_PRIVATE_KEY not in page
    assert re.search(r'<input[^>]*name="cw_private_key"[^>]*type="password"(?![^>]*value=)[^>]*>', page)


def test_autotask_test_and_save_detects_the_zone_and_pulls_all_four_kinds(client, at_admin, sim_faults):
    response = client.post("/integrations/autotask", data=at_form())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Connected" in page and "Not connected" not in page
    assert demo.AT_ZONE_NAME in page and demo.AT_API_SECRET not in page
    settings = settings_of(at_admin)
    assert settings.at_zone_name == demo.AT_ZONE_NAME and settings.at_zone_detected
    assert settings.at_secret_enc and demo.AT_API_SECRET not in settings.at_secret_enc
    run = db.session.scalar(select(SyncRun).where(SyncRun.account_id == at_admin.account_id))
    assert run.status == "succeeded", run.message
    assert run.counts == {"customers": 200, "agreements": 200, "products": 200, "services": 200,
                          "organisational levels": 2}  # the levels the contracts carry
    kinds = dict(db.session.execute(select(PsaProduct.kind, func.count()).group_by(PsaProduct.kind)).all())
    assert kinds == {"product": 200, "service": 200}


def test_autotask_zone_override_is_used_without_a_lookup(client, at_admin, psa_sim, sim_faults):
    zone = f"{psa_sim.url}/atservicesrest/"
    sim_faults.add(Fault(kind="500", target="at", path="zoneInformation"))
    page = client.post("/integrations/autotask", data=at_form(at_zone_url=zone)).get_data(as_text=True)
    assert "Connected" in page and "Not connected" not in page
    assert settings_of(at_admin).at_zone_url == zone


def test_autotask_wrong_secret_is_not_connected(client, at_admin, sim_faults):
    page = client.post("/integrations/autotask", data=at_form(at_secret="Wrong-Secret-9")).get_data(as_text=True)
    assert "Not connected" in page and "Wrong-Secret-9" not in page
    assert settings_of(at_admin).at_secret_enc is None


def test_autotask_username_must_be_an_email(client, at_admin):
    response = client.post("/integrations/autotask", data=at_form(at_username="apiuser"))
    assert response.status_code == 400
    assert "is an email address" in response.get_data(as_text=True)


def test_audit_records_changed_fields_never_values(client, cw_admin, psa_sim, sim_faults):
    client.post("/integrations/connectwise", data=cw_form(psa_sim))
    details = " ".join(db.session.scalars(select(AuditEvent.detail)))
    assert "private key" in details and demo.CW_PRIVATE_KEY not in details and demo.CW_PUBLIC_KEY not in details


def test_repr_of_settings_holds_no_secret(app, psa_sim):
    settings = save_cw_settings(make_account(), psa_sim)
    assert demo.CW_PRIVATE_KEY not in repr(settings) and settings.cw_private_key_enc not in repr(settings)


@pytest.mark.sqlite_only
def test_secrets_are_not_in_the_database_file(app, client, cw_admin, psa_sim, sim_faults):
    client.post("/integrations/connectwise", data=cw_form(psa_sim))
    client.post("/integrations/connectwise", data=cw_form(psa_sim, cw_private_key="Other-Private-Key-7", save_anyway="y"))
    db.session.remove()
    path = db.engine.url.database
    raw = b""
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as fh:
                raw += fh.read()
        except FileNotFoundError:
            pass
    assert raw and b"integration_settings" in raw
    assert demo.CW_PRIVATE_KEY.encode() not in raw and b"Other-Private-Key-7" not in raw


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_test_and_save_needs_the_csrf_token(app, client, psa_sim):
    account = make_account()
    admin = make_admin(account)
    # Log in through the form with its token, then post without one.
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', client.get("/login").get_data(as_text=True))[0]
    token = re.search(r'value="([^"]+)"', tag)[1]
    client.post("/login", data={"username": admin.username, "password": "Correct-Horse-9", "csrf_token": token})
    assert client.post("/integrations/connectwise", data=cw_form(psa_sim)).status_code == 400
    assert client.post("/integrations/sync").status_code == 400
    assert settings_of(admin) is None
