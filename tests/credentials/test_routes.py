"""The per-user PSA sections through the pages: who may see and change them, saving, the DOM rules."""
from __future__ import annotations

import pytest

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user
from tests.credentials.helpers import API, AUTOTASK, MEMBER, live_inputs, page, template_inputs
from wisesync.audit.models import AuditEvent
from wisesync.credentials.models import PsaCredential
from wisesync.extensions import db
from wisesync.simulator import demo


def stored(user, kind):
    return db.session.query(PsaCredential).filter_by(user_id=user.id, kind=kind).one_or_none()


# -- the user edit page -----------------------------------------------------------------------

def test_edit_page_shows_connectwise_sections_without_any_password_input_before_reveal(client, login, admin, member):
    login(admin)
    response = client.get(f"/users/{member.id}")
    assert response.status_code == 200
    doc = page(response)
    assert doc.xpath("//h2[text()='ConnectWise Member']") and doc.xpath("//h2[text()='ConnectWise API Member']")
    assert not doc.xpath("//h2[text()='Autotask user account']")
    assert live_inputs(doc, type="password") == []
    assert doc.xpath("//button[@data-reveal='psa-connectwise-form'][text()='Set member password']")
    assert doc.xpath("//button[normalize-space()='Test ConnectWise Connectivity']")
    assert doc.xpath("//button[normalize-space()='Test ConnectWise REST Connectivity']")


def test_revealed_secret_inputs_carry_the_password_manager_hints(client, login, admin, member):
    login(admin)
    doc = page(client.get(f"/users/{member.id}"))
    inputs = {i.get("name"): i for i in template_inputs(doc, "psa-connectwise-form")}
    for name in ("cw_member_password", "cw_member_password_confirm"):
        attrs = inputs[name].attrib
        assert attrs["type"] == "password"
        assert attrs["autocomplete"] == "new-password"
        assert attrs["data-lpignore"] == "true" and attrs["data-1p-ignore"] == "true"
        assert attrs["data-form-type"] == "other"
        assert "value" not in attrs
    api = {i.get("name"): i for i in template_inputs(doc, "psa-connectwise-api-form")}
    assert api["cw_private_key"].get("type") == "password" and api["cw_private_key"].get("autocomplete") == "new-password"


def test_stored_secrets_are_never_in_the_page_and_show_as_set_on_a_date(client, login, admin, member):
    login(admin)
    assert client.post(f"/users/{member.id}/connectwise", data=MEMBER).status_code == 302
    assert client.post(f"/users/{member.id}/connectwise-api", data=API).status_code == 302
    for url in (f"/users/{member.id}", f"/users/{member.id}/psa", f"/users/{member.id}/connectwise",
                f"/users/{member.id}/connectwise-api"):
        html = client.get(url).get_data(as_text=True)
        assert demo.CW_MEMBER_PASSWORD not in html and demo.CW_PRIVATE_KEY not in html, url
        assert "•••• set on" in html
    doc = page(client.get(f"/users/{member.id}"))
    assert doc.xpath("//button[@data-reveal='psa-connectwise-form'][text()='Change member password']")
    assert demo.CW_MEMBER_ID in doc.text_content()  # public values may be shown
    assert live_inputs(doc, type="password") == []


def test_autotask_account_shows_only_the_autotask_section_and_connectwise_urls_are_404(client, login, at_account):
    admin = make_admin(at_account)
    user = make_user(at_account)
    login(admin)
    doc = page(client.get(f"/users/{user.id}"))
    assert doc.xpath("//h2[text()='Autotask user account']")
    assert not doc.xpath("//h2[starts-with(text(), 'ConnectWise')]")
    for url in ("connectwise", "connectwise/test", "connectwise-api", "connectwise-api/test"):
        assert client.post(f"/users/{user.id}/{url}", data=MEMBER).status_code == 404, url


def test_connectwise_account_refuses_the_autotask_urls(client, login, admin, member):
    login(admin)
    assert client.post(f"/users/{member.id}/autotask", data=AUTOTASK).status_code == 404
    assert client.post(f"/users/{member.id}/autotask/test").status_code == 404
    assert client.get(f"/users/{member.id}/autotask").status_code == 404


# -- saving -----------------------------------------------------------------------------------

def test_saving_the_member_encrypts_the_password_and_audits_field_names_only(client, login, admin, member):
    login(admin)
    response = client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/users/{member.id}#psa-connectwise")
    cred = stored(member, "connectwise")
    assert cred.login == demo.CW_MEMBER_ID
    assert cred.secret_enc and demo.CW_MEMBER_PASSWORD not in cred.secret_enc
    assert demo.CW_MEMBER_PASSWORD not in repr(cred)
    event = db.session.query(AuditEvent).filter_by(action="psa_credentials.set").one()
    assert event.target_user_id == member.id and event.actor_id == admin.id
    assert "member password" in event.detail and demo.CW_MEMBER_PASSWORD not in event.detail
    flashed = client.get(f"/users/{member.id}").get_data(as_text=True)
    assert "Saved the ConnectWise Member" in flashed and demo.CW_MEMBER_PASSWORD not in flashed


def test_blank_secret_keeps_the_stored_one(client, login, admin, member):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    before = stored(member, "connectwise").secret_enc
    response = client.post(f"/users/{member.id}/connectwise", data={
        "cw_member_id": "jdoe", "cw_member_password": "", "cw_member_password_confirm": ""})
    assert response.status_code == 302
    cred = stored(member, "connectwise")
    assert cred.login == "jdoe" and cred.secret_enc == before


def test_mismatched_confirmation_is_a_400_next_to_the_field_and_saves_nothing(client, login, admin, member):
    login(admin)
    response = client.post(f"/users/{member.id}/connectwise", data={
        "cw_member_id": "jsmith", "cw_member_password": "Member-Pass-1", "cw_member_password_confirm": "Other-Pass-1"})
    assert response.status_code == 400
    doc = page(response)
    assert doc.xpath("//div[@id='field-cw_member_password_confirm']/p[@class='field-error']")
    assert "Member-Pass-1" not in response.get_data(as_text=True)
    assert stored(member, "connectwise") is None


@pytest.mark.parametrize("kind, data", [
    ("connectwise", {"cw_member_id": "jsmith", "cw_member_password": "Pass7ch", "cw_member_password_confirm": "Pass7ch"}),
    ("connectwise-api", {"cw_public_key": "pub", "cw_private_key": "k"}),
])
def test_a_short_psa_secret_saves_because_the_portals_password_rule_is_not_the_psas(client, login, admin, member,
                                                                                   kind, data):
    login(admin)
    response = client.post(f"/users/{member.id}/{kind}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(member, kind).secret_enc


def test_a_short_autotask_password_saves(client, login, at_account):
    admin, user = make_admin(at_account), make_user(at_account)
    login(admin)
    response = client.post(f"/users/{user.id}/autotask", data={
        "at_username": "tech@example.com", "at_password": "abc1234", "at_password_confirm": "abc1234"})
    assert response.status_code == 302
    assert stored(user, "autotask").secret_enc


@pytest.mark.parametrize("value, message", [("   ", "only spaces"), ("x" * 257, "at most 256 characters")])
def test_a_psa_secret_of_only_spaces_or_over_the_maximum_is_a_400(client, login, admin, member, value, message):
    login(admin)
    response = client.post(f"/users/{member.id}/connectwise", data={
        "cw_member_id": "jsmith", "cw_member_password": value, "cw_member_password_confirm": value})
    assert response.status_code == 400
    errors = page(response).xpath("//div[@id='field-cw_member_password']/p[@class='field-error']")
    assert errors and message in errors[0].text_content()
    assert "at least" not in response.get_data(as_text=True)
    assert stored(member, "connectwise") is None
    assert client.post(f"/users/{member.id}/connectwise", data={"cw_member_id": "jsmith"}).status_code == 302


def test_autotask_username_must_be_an_email(client, login, at_account):
    admin, user = make_admin(at_account), make_user(at_account)
    login(admin)
    response = client.post(f"/users/{user.id}/autotask", data={**AUTOTASK, "at_username": "tech"})
    assert response.status_code == 400
    assert page(response).xpath("//div[@id='field-at_username']/p[@class='field-error']")
    assert client.post(f"/users/{user.id}/autotask", data=AUTOTASK).status_code == 302
    assert stored(user, "autotask").login == demo.AT_RESOURCE_USERNAME


def test_no_js_fallback_page_renders_the_form_alone(client, login, admin, member):
    login(admin)
    response = client.get(f"/users/{member.id}/connectwise")
    assert response.status_code == 200
    doc = page(response)
    names = {i.get("name") for i in live_inputs(doc)}
    assert {"cw_member_id", "cw_member_password", "cw_member_password_confirm"} <= names


def test_primary_api_account_moves_when_ticked_on_another_user(client, login, admin, member):
    login(admin)
    assert client.post(f"/users/{admin.id}/connectwise-api", data={**API, "cw_is_primary": "y"}).status_code == 302
    assert stored(admin, "connectwise-api").is_primary
    assert client.post(f"/users/{member.id}/connectwise-api", data={**API, "cw_is_primary": "y"}).status_code == 302
    assert stored(member, "connectwise-api").is_primary
    assert not stored(admin, "connectwise-api").is_primary
    html = client.get(f"/users/{admin.id}").get_data(as_text=True)
    assert "Pat Lee is the primary API account" in html


# -- who may ----------------------------------------------------------------------------------

def test_a_user_may_set_and_test_their_own_credentials(client, login, member):
    login(member)
    response = client.get(f"/users/{member.id}/psa")
    assert response.status_code == 200 and live_inputs(page(response), type="password") == []
    response = client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/users/{member.id}/psa#psa-connectwise")
    response = client.post(f"/users/{member.id}/connectwise/test")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/users/{member.id}/psa?tested=connectwise#psa-connectwise")
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_user_may_not_touch_someone_elses_credentials(client, login, admin, member):
    login(member)
    for method, url in (("get", "psa"), ("get", "connectwise"), ("post", "connectwise"),
                        ("post", "connectwise/test"), ("post", "connectwise-api"), ("post", "connectwise-api/test")):
        response = getattr(client, method)(f"/users/{admin.id}/{url}", data={**MEMBER, **API})
        assert response.status_code == 403, url
    assert stored(admin, "connectwise") is None and stored(admin, "connectwise-api") is None


def test_other_accounts_and_unknown_ids_are_404(client, login, admin):
    other = make_account("Other MSP")
    stranger = make_user(other)
    login(admin)
    for user_id in (stranger.id, 999999):
        for url in ("psa", "connectwise", "connectwise/test", "connectwise-api", "connectwise-api/test"):
            method = client.get if url in ("psa",) else client.post
            assert method(f"/users/{user_id}/{url}", data=MEMBER).status_code == 404, (user_id, url)
    assert stored(stranger, "connectwise") is None


def test_logged_out_visitors_are_sent_to_login(client, member):
    response = client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_saving_and_testing_need_the_csrf_token(client, admin, member):
    token = page(client.get("/login")).xpath("//input[@name='csrf_token']/@value")[0]
    response = client.post("/login", data={"username": admin.username, "password": DEFAULT_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    assert client.post(f"/users/{member.id}/connectwise", data=MEMBER).status_code == 400
    assert client.post(f"/users/{member.id}/connectwise/test").status_code == 400
    assert stored(member, "connectwise") is None
    token = page(client.get(f"/users/{member.id}")).xpath("//form[@action='/users/%d/connectwise/test']"
                                                           "/input[@name='csrf_token']/@value" % member.id)[0]
    assert client.post(f"/users/{member.id}/connectwise/test", data={"csrf_token": token}).status_code == 303
