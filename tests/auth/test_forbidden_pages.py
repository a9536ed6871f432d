"""A 403 says what the refused page was for (issue 13 #11), not always "maintain users"."""
from __future__ import annotations

import html

import pytest

from tests.builders import make_account, make_company, make_user
from wisesync.auth.access import no_admin_rights


@pytest.mark.parametrize("url,what", [
    ("/users/", "maintain users"),
    ("/companies/", "maintain companies"),
    ("/integrations/", "change the integration settings"),
    ("/qlinks", "manage QLinks"),
    ("/audit", "read the audit log"),
    ("/audit.csv", "read the audit log"),
    ("/account", "change the account settings"),
])
def test_a_user_is_told_what_the_refused_page_was_for(client, login, url, what):
    login(make_user(make_account()))
    response = client.get(url)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 403
    assert f"You don't have permission to {what}; contact your account administrator." in page
    if what != "maintain users":
        assert "permission to maintain users" not in page


def test_a_company_page_and_its_xero_buttons_name_their_own_work(client, login):
    account = make_account()
    company = make_company(account)
    login(make_user(account, companies=[company]))
    assert "permission to maintain companies" in client.get(f"/companies/{company.id}").get_data(as_text=True)
    xero = client.post(f"/companies/{company.id}/xero/connect").get_data(as_text=True)
    assert "permission to connect companies to Xero" in xero


def test_an_endpoint_nobody_named_still_gets_a_sentence():
    assert no_admin_rights("something.new").startswith("You don't have permission to use this page;")
    assert no_admin_rights(None).startswith("You don't have permission to use this page;")
