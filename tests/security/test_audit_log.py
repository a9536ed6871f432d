"""The audit log (issue 13 #9, issue 16 #3): actions in plain words, filters by action, person
and date, a CSV export safe to open in a spreadsheet, and no list of every user loaded."""
from __future__ import annotations

import ast
import csv
import io
import pathlib
from datetime import datetime

import pytest
from sqlalchemy import event

from tests.builders import make_account, make_admin, make_user
from wisesync.accounts.models import Account
from wisesync.audit.services import record
from wisesync.extensions import db
from wisesync.security.audit_log import ACTION_LABELS, action_label, safe_cell


def recorded_actions() -> set[str]:
    """Every action code the features pass to ``record(...)`` (or insert as ``action=``)."""
    found = set()
    root = pathlib.Path(__file__).resolve().parents[2] / "wisesync"
    for path in root.rglob("*.py"):
        if "simulator" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            value = None
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "record" \
                    and node.args:
                value = node.args[0]
            elif isinstance(node, ast.keyword) and node.arg == "action":
                value = node.value
            if value is not None:
                found |= {c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return {code for code in found if code}


def test_every_recorded_action_has_words():
    actions = recorded_actions()
    assert {"qlink.generated", "psa_credentials.set", "login.ok"} <= actions
    missing = sorted(actions - set(ACTION_LABELS))
    assert missing == [], f"add words for these audit actions to wisesync/security/audit_log.py ACTION_LABELS: {missing}"


def test_an_unknown_code_still_reads_as_words():
    assert action_label("future_feature.thing_done") == "Future feature thing done"


@pytest.fixture
def audited(client, login):
    account, other = make_account(), make_account("Other MSP")
    admin = make_admin(account, first_name="Ada", last_name="Admin")
    bob = make_user(account, first_name="Bob", last_name="Builder", email="bob@example.com")
    carol = make_user(account, first_name="Carol", last_name="Cook", email="carol@example.com")
    stranger = make_user(other, first_name="Bob", last_name="Stranger")
    events = [
        ("qlink.generated", admin, bob, "for-bob-qlink", datetime(2026, 3, 1, 10, 0)),
        ("psa_credentials.set", admin, carol, "for-carol-psa", datetime(2026, 3, 5, 23, 59)),
        ("user.disabled", admin, carol, "=HYPERLINK(\"http://evil\",\"x\")", datetime(2026, 3, 6, 0, 0)),
        ("company.created", admin, None, "+SUM(A1)", datetime(2026, 3, 10, 9, 0)),
    ]
    for action, actor, target, detail, at in events:
        e = record(action, account_id=account.id, actor=actor, target=target, detail=detail, ip="203.0.113.7")
        e.created_at = at
    record("qlink.generated", account_id=other.id, actor=stranger, target=stranger, detail="other-account")
    db.session.commit()
    login(admin)
    return admin, bob, carol


def page_of(client, query: str = "") -> str:
    response = client.get("/audit" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_page_shows_words_never_the_codes(client, audited):
    page = page_of(client)
    assert "QLink generated" in page and "PSA credentials saved" in page and "Logged in" in page
    table = page.split('id="audit-events"')[1]
    assert "qlink.generated" not in table and "psa_credentials.set" not in table and "login.ok" not in table
    assert "other-account" not in page


def test_filter_by_action(client, audited):
    page = page_of(client, "?action=qlink.generated")
    assert "for-bob-qlink" in page and "for-carol-psa" not in page
    assert "other-account" not in page


def test_an_unknown_action_is_a_400_next_to_the_field(client, audited):
    response = client.get("/audit?action=nonsense")
    assert response.status_code == 400
    assert 'id="field-action"' in response.get_data(as_text=True) and "Not a valid choice" in response.get_data(as_text=True)


def test_filter_by_person_searches_names_usernames_and_emails_of_this_account(client, audited):
    page = page_of(client, "?person=carol")
    assert "for-carol-psa" in page and "for-bob-qlink" not in page
    page = page_of(client, "?person=BOB%20builder")
    assert "for-bob-qlink" in page and "for-carol-psa" not in page and "other-account" not in page
    assert "No events match these filters" in page_of(client, "?person=nobody-at-all")


def test_filter_by_exact_person_and_a_foreign_one_is_404(client, audited):
    _, bob, _ = audited
    page = page_of(client, f"?user={bob.id}")
    assert "for-bob-qlink" in page and "for-carol-psa" not in page and "Showing what Bob Builder did" in page
    foreign = make_user(make_account("Third MSP"))
    assert client.get(f"/audit?user={foreign.id}").status_code == 404


def test_filter_by_dates_inclusive_in_utc(client, audited):
    page = page_of(client, "?from=2026-03-05&to=2026-03-05")
    assert "for-carol-psa" in page and "HYPERLINK" not in page and "for-bob-qlink" not in page
    page = page_of(client, "?from=2026-03-06")
    assert "HYPERLINK" in page and "SUM(A1)" in page and "for-carol-psa" not in page


@pytest.mark.parametrize("query,message", [
    ("?from=yesterday", "Enter a date like 2026-12-31."),
    ("?from=2026-03-10&to=2026-03-01", "The end date is before the start date."),
    ("?person=" + "x" * 121, "at most 120 characters"),
])
def test_bad_filters_are_a_400_with_the_message(client, audited, query, message):
    response = client.get("/audit" + query)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    csv_response = client.get("/audit.csv" + query)
    assert csv_response.status_code == 400


def test_page_links_keep_the_filters(client, audited):
    admin, _, _ = audited
    for n in range(60):
        record("company.edited", account_id=admin.account_id, actor=admin, detail=f"event-{n}")
    db.session.commit()
    page = page_of(client, "?action=company.edited")
    next_link = page.split('rel="next" href="')[1].split('"')[0]
    assert "action=company.edited" in next_link and "page=2" in next_link


def csv_of(client, query: str = "") -> list[list[str]]:
    response = client.get("/audit.csv" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_has_every_matching_event_in_words(client, audited):
    rows = csv_of(client, "?person=carol")
    assert rows[0] == ["Time (UTC)", "Who", "Who (username)", "What", "To whom", "To whom (username)", "Detail",
                       "IP address"]
    whats = [row[3] for row in rows[1:]]
    assert whats == ["User disabled", "PSA credentials saved"]
    assert rows[2][0] == "2026-03-05 23:59:00"
    assert rows[2][1] == "Ada Admin" and rows[2][7] == "203.0.113.7"
    assert rows[2][4] == "Carol Cook" and rows[2][5] == "carol@example.com"
    assert all(row[1:].count("other-account") == 0 for row in rows)


def test_csv_cells_that_would_run_as_formulas_start_with_a_quote(client, audited):
    rows = csv_of(client, "?from=2026-03-06")
    details = {row[6] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in details and "'+SUM(A1)" in details
    assert [safe_cell(v) for v in ("-1", "@x", "\tx", "ok", "", None)] == ["'-1", "'@x", "'\tx", "ok", "", ""]


def test_csv_streams_more_rows_than_a_page(client, audited):
    admin, _, _ = audited
    for n in range(130):
        record("company.edited", account_id=admin.account_id, actor=admin, detail=f"bulk-{n}")
    db.session.commit()
    rows = csv_of(client, "?action=company.edited")
    assert len(rows) == 1 + 130


def test_the_page_loads_no_user_list_for_its_person_filter(app, client, audited):
    account_id = audited[0].account_id
    for n in range(30):
        make_user(db.session.get(Account, account_id))
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = page_of(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    user_selects = [s for s in statements if "FROM users" in s and "WHERE users.id IN" not in s
                    and "users.id = " not in s]
    assert user_selects == [], user_selects
    assert page.count("<option") < 60  # actions only, not people
