"""The ConnectWise Member test on a tenant without SOAP (ConnectWise retired its SOAP APIs):
the member is checked through REST — exists and active, the API member obtains an
impersonation token for it, the member's role reaches the accounting interface — and the
checklist says Connected (REST, as jsmith) or exactly which right is missing."""
from __future__ import annotations

import pytest

from tests.credentials.helpers import API, MEMBER, checklist, page
from tests.credentials.test_connectivity import count_requests, status_words
from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.simulator.faults import Fault

NO_SOAP = Fault(kind="absent", target="cw-soap")


@pytest.fixture
def keyed(client, login, admin, member):
    """The member has their Member ID and password and their own API keys (what REST uses)."""
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    client.post(f"/users/{member.id}/connectwise-api", data=API)
    return member


def run_test(client, user):
    return client.post(f"/users/{user.id}/connectwise/test", follow_redirects=True)


def test_without_soap_the_member_is_checked_through_rest_and_connected(client, keyed, sim_faults):
    sim_faults.add(Fault(kind="absent", target="cw-soap"))
    response = run_test(client, keyed)
    items = checklist(response)
    assert status_words(response) == ["Connected (REST, as jsmith)"], items
    assert items[0].startswith("✓ SOAP member login") and "retired its SOAP APIs" in items[0]
    assert any(i.startswith("✓ Member jsmith exists and is active") and "John Smith" in i for i in items)
    assert any(i.startswith("✓ Member token for jsmith") for i in items)
    assert any(i.startswith("✓ Accounting interface (as jsmith)") for i in items)


def test_a_sign_in_page_instead_of_soap_also_falls_back_to_rest(client, keyed, sim_faults):
    sim_faults.add(Fault(kind="absent", target="cw-soap", code="login"))
    assert status_words(run_test(client, keyed)) == ["Connected (REST, as jsmith)"]


def test_soap_that_answers_keeps_its_verdict(client, keyed, sim_faults):
    assert status_words(run_test(client, keyed)) == ["Connected"]
    client.post(f"/users/{keyed.id}/connectwise", data={**MEMBER, "cw_member_password": "Wrong-Pass-1",
                                                        "cw_member_password_confirm": "Wrong-Pass-1"})
    response = run_test(client, keyed)
    assert status_words(response) == ["Not connected"]
    assert not any("REST" in i for i in checklist(response))  # a refused login is not "no SOAP"


def test_without_a_member_password_soap_is_not_tried(client, login, admin, member, sim_faults):
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data={"cw_member_id": "jsmith"})
    client.post(f"/users/{member.id}/connectwise-api", data=API)
    soap = count_requests(sim_faults, target="cw-soap")
    response = run_test(client, member)
    assert status_words(response) == ["Connected (REST, as jsmith)"], checklist(response)
    assert soap.seen == 0 and "password is only for SOAP" in checklist(response)[0]


def test_an_unknown_member_id_says_where_to_find_it(client, login, admin, member, sim_faults):
    sim_faults.add(Fault(kind="absent", target="cw-soap"))
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data={**MEMBER, "cw_member_id": "nobody"})
    client.post(f"/users/{member.id}/connectwise-api", data=API)
    failed = [i for i in checklist(run_test(client, member)) if i.startswith("✗")]
    assert len(failed) == 1 and "no member with the Member ID nobody" in failed[0]
    assert "Member ID column" in failed[0]


def test_an_inactive_member_is_named(client, keyed, sim_faults, monkeypatch):
    sim_faults.add(Fault(kind="absent", target="cw-soap"))
    real = ConnectWiseRestClient.member
    monkeypatch.setattr(ConnectWiseRestClient, "member", lambda self, i: {**real(self, i), "inactiveFlag": True})
    failed = [i for i in checklist(run_test(client, keyed)) if i.startswith("✗")]
    assert len(failed) == 1 and "is inactive" in failed[0] and "clear Inactive" in failed[0]


def test_a_missing_token_right_is_named_with_connectwise_words(client, keyed, sim_faults):
    sim_faults.add(Fault(kind="absent", target="cw-soap"))
    sim_faults.add(Fault(kind="deny", target="cw-rest", right="members"))
    response = run_test(client, keyed)
    assert status_words(response) == ["Not connected"]
    failed = [i for i in checklist(response) if i.startswith("✗")]
    assert len(failed) == 1 and failed[0].startswith("✗ Member token for jsmith")
    assert "Member Maintenance" in failed[0] and "impersonate" in failed[0]
    said = page(response).xpath("//ul[@class='checklist']//span[@class='psa-said']")
    assert said and "You do not have security permission" in said[0].text_content()


def test_a_member_without_the_accounting_right_is_named(client, keyed, sim_faults):
    sim_faults.add(Fault(kind="absent", target="cw-soap"))
    sim_faults.add(Fault(kind="deny", target="cw-rest", right="accounting"))
    failed = [i for i in checklist(run_test(client, keyed)) if i.startswith("✗")]
    assert len(failed) == 1 and failed[0].startswith("✗ Accounting interface (as jsmith)")
    assert "member jsmith" in failed[0] and "Accounting Interface" in failed[0]


def test_without_any_api_keys_it_says_to_enter_them(client, login, admin, member, sim_faults):
    sim_faults.add(Fault(kind="absent", target="cw-soap"))
    login(admin)
    client.post(f"/users/{member.id}/connectwise", data=MEMBER)
    failed = [i for i in checklist(run_test(client, member)) if i.startswith("✗")]
    assert failed and "ConnectWise API Member section" in failed[0]


def test_the_password_field_says_it_is_only_for_soap(client, login, admin, member):
    login(admin)
    text = " ".join(page(client.get(f"/users/{member.id}?change=connectwise")).text_content().split())
    html = client.get(f"/users/{member.id}").get_data(as_text=True)
    assert "Only needed if your ConnectWise still offers its SOAP API" in html or \
        "Only needed if your ConnectWise still offers its SOAP API" in text
