"""The test buttons against the simulator: Connected / Not connected with a checklist that says the fix."""
from __future__ import annotations

import pytest

from tests.builders import make_admin, make_user
from tests.credentials.conftest import point_at_sim
from tests.credentials.helpers import API, AUTOTASK, MEMBER, checklist, page
from wisesync.audit.models import AuditEvent
from wisesync.credentials import connectivity
from wisesync.credentials.models import PsaCredential
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings
from wisesync.simulator import demo
from wisesync.simulator.faults import Fault


def status_words(response) -> list[str]:
    doc = page(response)
    return [s.text for s in doc.xpath("//span[@class='status-connected' or @class='status-not-connected']")]


def count_requests(board, target="any") -> Fault:
    """A fault that never fires but counts every matching request the simulator receives."""
    counter = Fault(kind="500", target=target, after=10**9)
    board.add(counter)
    return counter


def test_right_member_credentials_are_connected(client, login, admin, member, sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert response.status_code == 200
    assert status_words(response) == ["Connected"]
    items = checklist(response)
    assert items[0].startswith("✓ Reached host") and any("GetUnpostedInvoices" in i for i in items)
    cred = db.session.query(PsaCredential).filter_by(user_id=member.id, kind="connectwise").one()
    assert cred.last_test["connected"] is True and cred.last_tested_at is not None
    event = db.session.query(AuditEvent).filter_by(action="psa_credentials.tested").one()
    assert "Connected" in event.detail


def test_a_test_redirects_back_to_its_section_and_reloading_does_not_run_it_again(client, login, admin, member,
                                                                                    sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    response = client.post(f"/users/{member.id}/connectwise/test")
    assert response.status_code == 303  # POST/redirect/GET: Back and Reload are plain GETs
    assert response.headers["Location"].endswith(f"/users/{member.id}?tested=connectwise#psa-connectwise")
    doc = page(client.get(response.headers["Location"]))
    assert doc.xpath("//section[@id='psa-connectwise'][contains(@class, 'just-tested')]")
    assert doc.xpath("//section[@id='psa-connectwise']//span[@class='status-connected']")
    assert db.session.query(AuditEvent).filter_by(action="psa_credentials.tested").count() == 1


def test_a_test_started_on_the_psa_page_answers_there(client, login, admin, member, sim_faults):
    login(admin)
    response = client.post(f"/users/{admin.id}/connectwise/test", data={"back": "psa"})
    assert response.headers["Location"].endswith(f"/users/{admin.id}/psa?tested=connectwise#psa-connectwise")
    login(member)
    response = client.post(f"/users/{member.id}/connectwise-api/test")
    assert response.headers["Location"].endswith(f"/users/{member.id}/psa?tested=connectwise-api#psa-connectwise-api")


def test_last_result_is_shown_on_the_user_page_with_its_age(client, login, admin, member, sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    client.post(f"/users/{member.id}/connectwise/test")
    html = client.get(f"/users/{member.id}").get_data(as_text=True)
    text = " ".join(page(client.get(f"/users/{member.id}")).text_content().split())
    assert "Last test: Connected, just now" in text
    assert 'class="checklist"' in html


def test_wrong_member_password_is_not_connected_with_the_fix(client, login, admin, member, sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data={**MEMBER, "cw_member_password": "Wrong-Pass-1",
                                                         "cw_member_password_confirm": "Wrong-Pass-1"})
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert status_words(response) == ["Not connected"]
    authenticated = next(i for i in checklist(response) if "Authenticated" in i)
    assert authenticated.startswith("✗") and "member password" in authenticated and "Fix:" in authenticated
    assert "Wrong-Pass-1" not in response.get_data(as_text=True)


def test_missing_member_id_never_reaches_the_psa_and_names_the_fields(client, login, admin, member, sim_faults,
                                                                      monkeypatch):
    counter = count_requests(sim_faults)

    def refuse(*args, **kwargs):
        raise AssertionError("the SOAP client must not even be built without a member ID")

    monkeypatch.setattr(connectivity, "ConnectWiseSoapClient", refuse)
    login(admin)
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert response.status_code == 200
    assert status_words(response) == ["Not connected"]
    text = " ".join(page(response).text_content().split())
    assert ("Enter the Member ID and member password in the ConnectWise Member section above, save, "
            "then test again") in text
    assert "Username is a required field" not in text
    assert counter.seen == 0


def test_password_without_member_id_is_still_not_sent(client, login, admin, member, sim_faults):
    counter = count_requests(sim_faults)
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data={**MEMBER, "cw_member_id": ""})
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert "Member ID" in " ".join(checklist(response))
    assert counter.seen == 0


def test_missing_right_is_named_in_the_checklist(client, login, admin, member, sim_faults):
    sim_faults.add(Fault(kind="deny", target="cw-soap", right="invoicing"))
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert status_words(response) == ["Not connected"]
    failed = [i for i in checklist(response) if i.startswith("✗")]
    assert len(failed) == 1 and "Accounting Interface" in failed[0] and "Security Roles" in failed[0]


def test_unconfigured_integration_settings_say_the_admin_must_fill_them(client, login, admin, member,
                                                                       sim_faults):
    settings = db.session.query(IntegrationSettings).filter_by(account_id=admin.account_id).one()
    settings.cw_company_id, settings.cw_site = "", ""
    db.session.commit()
    counter = count_requests(sim_faults)
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert status_words(response) == ["Not connected"]
    item = next(i for i in checklist(response) if i.startswith("✗ Integration Settings"))
    assert "Company ID and site" in item and "account administrator" in item
    assert page(response).xpath("//ul[@class='checklist']//a[@href='/integrations/']")
    assert counter.seen == 0


def test_rest_test_with_the_users_keys_is_connected(client, login, admin, member, sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise-api", data=API)
    response = client.post(f"/users/{member.id}/connectwise-api/test", follow_redirects=True)
    assert status_words(response) == ["Connected"]


def test_rest_test_with_a_wrong_private_key_is_not_connected(client, login, admin, member, sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise-api", data={**API, "cw_private_key": "not-the-key"})
    response = client.post(f"/users/{member.id}/connectwise-api/test", follow_redirects=True)
    assert status_words(response) == ["Not connected"]
    assert next(i for i in checklist(response) if "Authenticated" in i).startswith("✗")


def test_rest_test_names_a_denied_right(client, login, admin, member, sim_faults):
    sim_faults.add(Fault(kind="deny", target="cw-rest", right="agreements"))
    login(admin)
    client.post(f"/users/{member.id}/connectwise-api", data=API)
    response = client.post(f"/users/{member.id}/connectwise-api/test", follow_redirects=True)
    failed = [i for i in checklist(response) if i.startswith("✗")]
    assert status_words(response) == ["Not connected"] and len(failed) == 1
    assert "greement" in failed[0]


def test_autotask_user_test_uses_their_login_and_the_accounts_integration_code(client, login, at_account,
                                                                              sim_faults):
    admin, user = make_admin(at_account), make_user(at_account)
    login(admin)
    client.post(f"/users/{user.id}/autotask", data=AUTOTASK)
    response = client.post(f"/users/{user.id}/autotask/test", follow_redirects=True)
    assert status_words(response) == ["Connected"], checklist(response)

    client.post(f"/users/{user.id}/autotask", data={**AUTOTASK, "at_password": "Wrong-Pass-1",
                                                    "at_password_confirm": "Wrong-Pass-1"})
    response = client.post(f"/users/{user.id}/autotask/test", follow_redirects=True)
    assert status_words(response) == ["Not connected"]


def test_autotask_without_a_username_is_not_sent(client, login, at_account, sim_faults):
    counter = count_requests(sim_faults)
    user = make_user(at_account)
    login(user)  # a user tests their own
    response = client.post(f"/users/{user.id}/autotask/test", follow_redirects=True)
    assert status_words(response) == ["Not connected"]
    assert "Autotask username and password" in " ".join(checklist(response))
    assert counter.seen == 0


@pytest.fixture
def app_config(psa_sim):
    return {"WISESYNC_AUTOTASK_ZONE_LOOKUP_URL": f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation"}


def test_autotask_zone_is_looked_up_for_the_user_when_the_account_has_none(client, login, psa_sim, sim_faults):
    from tests.builders import make_account

    account = make_account("Zone MSP", psa_type="autotask")
    point_at_sim(account, psa_sim, at_zone_url="")
    user = make_user(account)
    login(user)
    client.post(f"/users/{user.id}/autotask", data=AUTOTASK)
    response = client.post(f"/users/{user.id}/autotask/test", follow_redirects=True)
    assert status_words(response) == ["Connected"], checklist(response)
    assert demo.AT_ZONE_NAME in " ".join(checklist(response))


def test_a_secret_saved_with_a_removed_key_asks_to_enter_it_again(client, login, admin, member, sim_faults):
    from cryptography.fernet import Fernet

    from wisesync.crypto import encrypt

    counter = count_requests(sim_faults)
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    cred = db.session.query(PsaCredential).filter_by(user_id=member.id, kind="connectwise").one()
    cred.secret_enc = encrypt(demo.CW_MEMBER_PASSWORD, [Fernet.generate_key().decode()])
    db.session.commit()
    response = client.post(f"/users/{member.id}/connectwise/test", follow_redirects=True)
    assert response.status_code == 200 and status_words(response) == ["Not connected"]
    assert "enter the member password again" in " ".join(checklist(response))
    assert counter.seen == 0


def test_after_a_new_password_the_page_shows_the_result_as_outdated_not_as_current(client, login, admin, member,
                                                                                   sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    client.post(f"/users/{member.id}/connectwise/test")
    client.post(f"/users/{member.id}/connectwise", data={**MEMBER, "cw_member_password": "Newer-7",
                                                         "cw_member_password_confirm": "Newer-7"})
    response = client.get(f"/users/{member.id}")
    assert status_words(response) == []
    section = page(response).xpath("//section[@id='psa-connectwise']")[0]
    text = " ".join(section.text_content().split())
    assert "Outdated" in text and "tested with the previous member password" in text
    assert "Not tested since the change" in text and "Last test: Connected" not in text
