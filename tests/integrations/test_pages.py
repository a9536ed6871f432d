"""What Integrations and the pull page say (issue 13): a stored test is shown as the saved
settings' result only when it tested them; one state line per pull status; Retry; history."""
from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import html as lxml_html

from tests.builders import make_account, make_admin
from tests.integrations.helpers import at_form, cw_form, save_cw_settings
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.psadata.runs import SyncRun, dumps, state_line


@pytest.fixture
def cw_admin(app, login):
    account = make_account(psa_type="connectwise")
    admin = make_admin(account)
    login(admin)
    return admin


@pytest.fixture
def at_admin(app, login):
    admin = make_admin(make_account(psa_type="autotask"))
    login(admin)
    return admin


def text_of(response) -> str:
    return " ".join(lxml_html.fromstring(response.get_data(as_text=True)).text_content().split())


def status_spans(response) -> list[str]:
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    return [s.text for s in doc.xpath("//span[@class='status-connected' or @class='status-not-connected']")]


def add_run(account_id: int, status: str, **values) -> SyncRun:
    run = SyncRun(account_id=account_id, psa_type="connectwise", status=status, **values)
    db.session.add(run)
    db.session.commit()
    return run


# -- the stored test belongs to the values it tested -------------------------------------------

def test_a_good_test_and_save_shows_as_the_saved_settings_result(client, cw_admin, psa_sim, sim_faults):
    client.post("/integrations/connectwise", data=cw_form(psa_sim))
    response = client.get("/integrations")
    assert status_spans(response) == ["Connected"]
    assert "Not the saved settings" not in text_of(response)


def test_a_failed_test_of_another_username_is_not_shown_as_the_saved_settings(client, at_admin, sim_faults):
    assert "Connected" in client.post("/integrations/autotask", data=at_form()).get_data(as_text=True)
    response = client.post("/integrations/autotask", data=at_form(at_username="other@wisesim.example",
                                                                  at_secret="Wrong-Secret-9"))
    assert "Not connected" in response.get_data(as_text=True)  # the answer to the test itself
    for later in (client.get("/integrations"),
                  client.post("/integrations/autotask", data=at_form(at_username="not-an-email"))):
        text = text_of(later)
        assert status_spans(later) == [], text
        assert "Not the saved settings" in text
        assert "different API username (other@wisesim.example), secret than the saved settings" in text
        assert "Wrong-Secret-9" not in later.get_data(as_text=True)


def test_a_changed_secret_alone_is_named_without_showing_it(client, cw_admin, psa_sim, sim_faults):
    client.post("/integrations/connectwise", data=cw_form(psa_sim))
    client.post("/integrations/connectwise", data=cw_form(psa_sim, cw_private_key="wrong-key-123"))
    response = client.get("/integrations")
    text = text_of(response)
    assert "It used a different private key than the saved settings" in text
    assert "wrong-key-123" not in response.get_data(as_text=True)


# -- layout: never-run steps, the form column --------------------------------------------------

def test_steps_that_never_ran_are_not_checked_and_the_fix_is_not_repeated(client, at_admin, sim_faults):
    response = client.post("/integrations/autotask", data=at_form(at_secret="Wrong-Secret-9"))
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    skipped = doc.xpath("//ul[@class='checklist']/li[@class='skipped']")
    assert skipped and all("not checked" in li.text_content() for li in skipped)
    assert not doc.xpath("//ul[@class='checklist']/li[@class='skipped']//span[@class='fix']")
    fixes = [f.text_content() for f in doc.xpath("//ul[@class='checklist']//span[@class='fix']")]
    assert len(fixes) == len(set(fixes)) and "Fix the step above first." not in " ".join(fixes)


# -- the pull page -----------------------------------------------------------------------------

def test_each_status_has_one_state_line_and_no_contradiction(app, cw_admin):
    now = utcnow()
    queued = add_run(cw_admin.account_id, "queued", created_at=now)
    assert state_line(queued, now) == "Queued: the job worker starts it in a moment."
    assert "flask jobs-worker" in state_line(queued, now + timedelta(minutes=2))
    queued.status = "failed"
    db.session.commit()
    running = add_run(cw_admin.account_id, "running", started_at=now)
    assert state_line(running, now) == "Running: asking the PSA how many records there are…"
    running.totals_json, running.counts_json = dumps({"customers": 200, "products": 300}), dumps({"customers": 100})
    assert state_line(running, now) == "Running: 100 of 500 records pulled (20%)."
    running.status, running.finished_at = "succeeded", now + timedelta(seconds=75)
    assert state_line(running, now).startswith("Finished ") and state_line(running, now).endswith(" in 1 min 15 s.")
    running.status = "failed"
    assert state_line(running, now).startswith("Failed ")


def test_running_pull_page_shows_counts_per_kind_and_no_worker_or_waiting_text(client, cw_admin):
    run = add_run(cw_admin.account_id, "running", started_at=utcnow(),
                  totals_json=dumps({"customers": 200, "agreements": 50}), counts_json=dumps({"customers": 100}))
    response = client.get(f"/integrations/sync/{run.id}")
    text = text_of(response)
    assert "Running: 100 of 250 records pulled (40%)." in text
    assert "Customers100 of 200" in text and "Agreements0 of 50" in text  # <dt><dd>
    assert "Waiting for the first page" not in text and "scripts/serve" not in text and "Retry" not in text
    data = client.get(f"/integrations/sync/{run.id}", headers={"Accept": "application/json"}).get_json()
    assert data["status"] == "running" and data["counts"] == {"customers": 100}
    assert data["state"] == "Running: 100 of 250 records pulled (40%)."
    assert data["kinds"] == [["agreements", 0, 50], ["customers", 100, 200]]


def test_a_failed_pull_offers_retry_which_starts_a_new_pull(client, cw_admin, psa_sim, sim_faults):
    save_cw_settings(cw_admin.account, psa_sim)
    run = add_run(cw_admin.account_id, "failed", message="ConnectWise answered 500 five times.",
                  fix="Try again later.", finished_at=utcnow())
    response = client.get(f"/integrations/sync/{run.id}")
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    retry = doc.xpath("//form[@action='/integrations/sync']//button[normalize-space()='Retry']")
    assert retry
    text = text_of(response)
    assert text.count("Failed ") == 1 and "Fix: Try again later." in text and "scripts/serve" not in text
    again = client.post("/integrations/sync")
    assert again.status_code == 302 and not again.headers["Location"].endswith(f"/{run.id}")


def test_integrations_lists_the_last_20_pulls_with_their_results(client, cw_admin):
    for n in range(25):
        add_run(cw_admin.account_id, "succeeded" if n % 5 else "failed", message=f"result {n}",
                fix="Do the thing." if not n % 5 else "", finished_at=utcnow())
    doc = lxml_html.fromstring(client.get("/integrations").get_data(as_text=True))
    rows = doc.xpath("//table[contains(@class, 'pull-history')]/tbody/tr")
    assert len(rows) == 20
    assert "result 24" in rows[0].text_content() and "result 5" in rows[-1].text_content()
    assert "Fix: Do the thing." in rows[4].text_content()  # run 20 failed
    assert doc.xpath("//section[@id='pulls']//button[normalize-space()='Pull now']")


def test_the_latest_pull_failed_so_integrations_offers_retry(client, cw_admin):
    add_run(cw_admin.account_id, "failed", message="Stopped.", finished_at=utcnow())
    doc = lxml_html.fromstring(client.get("/integrations").get_data(as_text=True))
    assert doc.xpath("//section[@id='pulls']//form[@action='/integrations/sync']//button[normalize-space()='Retry']")


def test_pull_history_is_only_this_accounts(client, cw_admin):
    other = make_account("Other MSP")
    add_run(other.id, "succeeded", message="theirs", finished_at=utcnow())
    assert "theirs" not in client.get("/integrations").get_data(as_text=True)


def test_a_slow_test_and_save_form_is_marked_busy(client, cw_admin):
    doc = lxml_html.fromstring(client.get("/integrations").get_data(as_text=True))
    assert doc.xpath("//form[@action='/integrations/connectwise'][@data-busy]")

