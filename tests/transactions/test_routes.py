"""The sync pages (DESIGN §10.6): who sees which company, 403/404s, the identity named on the
page, bad input answered 400 (never a 500), and the history filters."""
from __future__ import annotations

import pytest

from tests.builders import make_account, make_admin, make_company, make_user
from tests.transactions.sync_world import (app_config, books_sim, client_as, start_sync, sync_sim,  # noqa: F401
                                           wait_done, world)
from wisesync.credentials.models import PsaCredential
from wisesync.crypto import encrypt
from wisesync.extensions import db
from wisesync.simulator import demo
from wisesync.transactions.models import LedgerEntry, TransactionRun


def test_sync_is_in_the_menu_for_users_and_admins(app, client, world):
    assert 'href="/sync/"' in client.get("/").get_data(as_text=True)
    assert 'href="/sync/"' in client_as(app, world.user).get("/").get_data(as_text=True)


def test_admin_sees_every_company_with_its_unposted_counts(client, world):
    page = client.get("/sync/").get_data(as_text=True)
    assert "Acme NZ Ltd" in page and "Acme AU Pty" in page
    # 30 invoices: odd ones in Auckland, even ones in Sydney, 25 at Head Office; 4, 13, 22 are
    # credit memos; 8 purchase orders the same way.
    assert "14 invoices, 1 credit memo, 4 purchase orders" in page  # NZ: 1,3,...,29 (13 is a credit)
    assert "13 invoices, 2 credit memos, 4 purchase orders" in page  # AU: 2,...,30 (4, 22 credits)


def test_a_user_sees_only_the_companies_ticked_for_them(app, world):
    page = client_as(app, world.user).get("/sync/").get_data(as_text=True)
    assert "Acme NZ Ltd" in page and "Acme AU Pty" not in page


def test_a_user_gets_403_on_a_company_not_ticked_and_its_runs(app, client, world):
    user = client_as(app, world.user)
    assert user.get(f"/sync/{world.au.id}").status_code == 403
    assert user.post(f"/sync/{world.au.id}", data={"all": "1"}).status_code == 403
    run = TransactionRun(account_id=world.account.id, company_id=world.au.id, psa="connectwise",
                         status="succeeded")
    db.session.add(run)
    db.session.commit()
    assert user.get(f"/sync/runs/{run.id}").status_code == 403
    assert user.get(f"/sync/runs/{run.id}", headers={"Accept": "application/json"}).status_code == 403
    assert user.get(f"/sync/history?company={world.au.id}").status_code == 403
    assert db.session.query(TransactionRun).count() == 1  # the refused POST started nothing


def test_another_accounts_company_and_run_are_404(app, client, world):
    other = make_account("Other MSP")
    stranger = client_as(app, make_admin(other))
    assert stranger.get(f"/sync/{world.nz.id}").status_code == 404
    assert stranger.post(f"/sync/{world.nz.id}", data={"all": "1"}).status_code == 404
    url = start_sync(client, world.nz, all="1")
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/sync/history?company={world.nz.id}").status_code == 404
    assert "Acme NZ" not in stranger.get("/sync/").get_data(as_text=True)


def test_anonymous_is_sent_to_log_in(app, world):
    anonymous = app.test_client()
    for url in ("/sync/", f"/sync/{world.nz.id}", "/sync/history", "/sync/runs/1"):
        assert anonymous.get(url).status_code == 302


def test_the_review_names_the_integration_settings_identity_by_default(client, world):
    page = client.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert "Reads and posts with the API keys in Integration Settings." in page


def _api_keys(user, primary=False):
    db.session.add(PsaCredential(account_id=user.account_id, user_id=user.id, kind="connectwise-api",
                                 login=demo.CW_PUBLIC_KEY, secret_enc=encrypt(demo.CW_PRIVATE_KEY),
                                 is_primary=primary))
    db.session.commit()


def _member(user, member_id=demo.CW_MEMBER_ID):
    db.session.add(PsaCredential(account_id=user.account_id, user_id=user.id, kind="connectwise",
                                 login=member_id, secret_enc=encrypt(demo.CW_MEMBER_PASSWORD)))
    db.session.commit()


def test_the_review_names_the_primary_api_account_then_the_users_own_keys(app, world):
    _api_keys(world.admin, primary=True)
    user = client_as(app, world.user)
    page = user.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert f"the primary API account (Ada Admin, public key {demo.CW_PUBLIC_KEY})" in page
    _api_keys(world.user)
    page = user.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert f"your own ConnectWise API Member keys (public key {demo.CW_PUBLIC_KEY})" in page


def test_a_user_with_a_member_id_posts_as_that_member(app, world, sync_sim):
    _member(world.user)
    user = client_as(app, world.user)
    page = user.get(f"/sync/{world.nz.id}").get_data(as_text=True)
    assert f"posting as ConnectWise member {demo.CW_MEMBER_ID}" in page
    data = wait_done(user, start_sync(user, world.nz, records=["invoice:1"]))
    assert data["status"] == "succeeded", data
    batches = sync_sim.state.cw_books.batch_list()
    assert [b.actor for b in batches] == [demo.CW_MEMBER_ID]


@pytest.mark.parametrize("data,expected", [
    ({}, "Tick the records to sync, or use Sync all."),
    ({"records": ["invoice:abc def"]}, "each must be &lt;kind&gt;:&lt;psa-id&gt;"),
    ({"records": ["refund:3"]}, "each must be &lt;kind&gt;:&lt;psa-id&gt;"),
    ({"records": ["invoice"]}, "each must be &lt;kind&gt;:&lt;psa-id&gt;"),
    ({"all": "yes"}, "all must be 1"),
])
def test_a_malformed_post_is_400_and_starts_nothing(client, world, data, expected):
    response = client.post(f"/sync/{world.nz.id}", data=data)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    assert db.session.query(TransactionRun).count() == 0


def test_records_not_unposted_for_this_company_are_400_with_which_and_why(client, world):
    response = client.post(f"/sync/{world.nz.id}", data={"records": [
        "invoice:1",          # fine: Auckland
        "invoice:2",          # Sydney: the AU company's
        "credit:3",           # 3 is an invoice, not a credit memo
        "invoice:13",         # 13 is a credit memo
        "invoice:999",        # unknown
        "procurement:1",      # fine
    ]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "4 of the records sent cannot be synced for this company, so nothing was started." in page
    assert "Invoice 10002 belongs to 'Acme AU Pty' (ConnectWise location 'Sydney' (id 2)), not to 'Acme NZ Ltd'." in page
    assert "Invoice 10003 is a invoice, not a credit memo" in page or "Invoice 10003 is an invoice" in page
    assert "send it as credit:13" in page
    assert "No unposted invoice with id 999" in page
    assert 'data-record="invoice:1"' not in page and 'data-record="procurement:1"' not in page
    assert db.session.query(TransactionRun).count() == 0


def test_an_already_posted_record_is_refused_as_posted(client, world):
    data = wait_done(client, start_sync(client, world.nz, records=["invoice:1"]))
    assert data["status"] == "succeeded", data
    response = client.post(f"/sync/{world.nz.id}", data={"records": ["invoice:1"]})
    assert response.status_code == 400
    assert "Already posted" in response.get_data(as_text=True)


def test_a_post_answers_303_to_the_run_page_which_survives_a_reload(client, world):
    url = start_sync(client, world.nz, records=["invoice:1", "invoice:3"])
    assert url.startswith("/sync/runs/")
    for _ in range(2):
        page = client.get(url)
        assert page.status_code == 200 and "Sync #" in page.get_data(as_text=True)
    data = client.get(url, headers={"Accept": "application/json"}).get_json()
    assert set(data) >= {"status", "counts", "records"}
    assert set(data["counts"]) == {"pushed", "posted", "adopted", "blocked", "failed"}
    assert {r["psa_id"] for r in data["records"]} == {"1", "3"}
    assert all(set(r) >= {"kind", "psa_id", "state", "message"} for r in data["records"])


def test_a_second_start_while_one_runs_lands_on_the_running_one(client, world):
    running = TransactionRun(account_id=world.account.id, company_id=world.nz.id, psa="connectwise",
                             status="running")
    db.session.add(running)
    db.session.commit()
    url = start_sync(client, world.nz, all="1")
    assert url == f"/sync/runs/{running.id}"
    assert db.session.query(TransactionRun).count() == 1


@pytest.mark.parametrize("query", ["company=abc", "company=-1", "state=nonsense", "company=99999999999999"])
def test_history_refuses_bad_filters_with_400(client, world, query):
    assert client.get(f"/sync/history?{query}").status_code == 400


def test_history_lists_the_ledger_with_filters_and_links_to_xero(client, world):
    data = wait_done(client, start_sync(client, world.nz, records=["invoice:1", "invoice:3", "invoice:9"]))
    assert data["status"] == "succeeded", data
    page = client.get("/sync/history").get_data(as_text=True)
    assert 'data-record="invoice:1"' in page and 'data-record="invoice:9"' in page
    entry = db.session.query(LedgerEntry).filter_by(psa_id="1", kind="invoice").one()
    assert entry.state == "posted" and entry.xero_id
    assert f'href="{world.sim.url}' in page and entry.xero_id in page
    blocked = client.get("/sync/history?state=blocked").get_data(as_text=True)
    assert 'data-record="invoice:9"' in blocked and 'data-record="invoice:1"' not in blocked
    found = client.get("/sync/history?q=10003").get_data(as_text=True)
    assert 'data-record="invoice:3"' in found and 'data-record="invoice:1"' not in found
    assert 'data-record' not in client.get(f"/sync/history?company={world.au.id}").get_data(as_text=True)
    assert client.get("/sync/history?page=abc").status_code == 200


def test_a_user_sees_only_their_companies_in_the_history(app, client, world):
    wait_done(client, start_sync(client, world.au, records=["invoice:2"]))
    user = client_as(app, world.user)
    assert 'data-record="invoice:2"' not in user.get("/sync/history").get_data(as_text=True)
    assert 'data-record="invoice:2"' in client.get("/sync/history").get_data(as_text=True)


def test_a_user_with_no_companies_sees_an_empty_page_not_an_error(app, world):
    lonely = client_as(app, make_user(world.account, companies=[]))
    page = lonely.get("/sync/")
    assert page.status_code == 200 and "no companies you may sync" in page.get_data(as_text=True)


def test_every_post_needs_the_csrf_token(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True  # read per request: the logged-in client now needs one
    response = client.post(f"/sync/{world.nz.id}", data={"all": "1"})
    assert response.status_code == 400
    assert db.session.query(TransactionRun).count() == 0


def test_the_company_list_on_other_accounts_stays_out(app, world):
    other = make_account("Third MSP")
    make_company(other, "Stranger Books")
    page = client_as(app, world.admin).get("/sync/").get_data(as_text=True)
    assert "Stranger Books" not in page
