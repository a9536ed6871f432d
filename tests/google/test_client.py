"""The Google client without Flask: Drive queries as Drive wants them, the simulator's Drive and
sign-in answering like Google's, tokens renewed before they expire and a revoked grant marked
"Reconnect Google" once."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest
import requests

from tests.builders import make_account, make_user
from tests.google.google_flow import connect, google_config
from wisesync.google.client import DriveClient, GoogleOAuth, GoogleSettings, drive_query
from wisesync.google.errors import GoogleTokenRevoked
from wisesync.simulator.google_drive import QueryError, parse_query
from wisesync.simulator.google_state import seed_files


def test_the_google_client_and_xero_attachments_import_no_flask():
    code = ("import sys, wisesync.google.client, wisesync.accounting.xero_attachments; "
            "print('flask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_drive_query_escapes_quotes_and_backslashes_and_groups_types():
    q = drive_query(name="O'Brien \\ bill", mime_types=("application/pdf", "image/"),
                    modified_after=datetime(2026, 11, 1))
    assert q == ("trashed = false and name contains 'O\\'Brien \\\\ bill' and (mimeType = 'application/pdf' "
                 "or mimeType contains 'image/') and modifiedTime > '2026-11-01T00:00:00'")
    assert drive_query() == "trashed = false"


@pytest.mark.parametrize("q, names", [
    ("trashed = false", {"Supplier bill VINV-70001.pdf", "Signed quote Q-10001.pdf", "Delivery receipt.png", "Budget 2027"}),
    ("name contains 'quote'", {"Signed quote Q-10001.pdf"}),
    ("name contains 'uote'", set()),  # Drive matches word prefixes, not any substring
    ("mimeType contains 'image/' and trashed = false", {"Delivery receipt.png"}),
    ("(mimeType = 'application/pdf' or mimeType = 'image/png') and modifiedTime > '2026-11-19T00:00:00'",
     {"Supplier bill VINV-70001.pdf"}),
    ("not trashed = false", {"Old contract.pdf"}),
])
def test_the_simulated_drive_understands_the_query_subset(q, names):
    match = parse_query(q)
    assert {f.name for f in seed_files() if match(f)} == names


@pytest.mark.parametrize("q", ["fullText contains 'x'", "name contains", "name > 'a'", "(trashed = false",
                               "trashed = maybe", "name contains 'a' and"])
def test_the_simulated_drive_refuses_what_it_does_not_know(q):
    with pytest.raises(QueryError):
        parse_query(q)


def test_drive_without_a_valid_token_is_a_401_that_says_reconnect_google(psa_sim):
    settings = GoogleSettings("simgoogle", "simgoogle-secret", "", "", "", "", psa_sim.url + "/google/drive/v3",
                              allow_local=True)
    answer = requests.get(settings.drive_url + "/files", params={"q": "fullText contains 'x'"},
                          headers={"Authorization": "Bearer nope"}, timeout=10)
    assert answer.status_code == 401  # authentication comes first
    with pytest.raises(GoogleTokenRevoked):
        DriveClient(settings, "nope").search()


@pytest.fixture
def app_config(psa_sim):
    return google_config(psa_sim.url)


def test_an_expired_access_token_is_renewed_and_a_revoked_grant_marks_reconnect_once(app, client, login, google_sim):
    from sqlalchemy import func, select

    from wisesync.audit.models import AuditEvent
    from wisesync.extensions import db
    from wisesync.google import services
    from wisesync.google.models import GoogleAccount

    pat = make_user(make_account(), email="pat@acme.example")
    login(pat)
    connect(client, "pat@gmail.example")
    google = google_sim.state.google
    google.offset += 3600  # the access token has expired at Google
    files, _ = services.with_drive(pat, lambda drive: drive.search(name="quote"))
    assert [f.name for f in files] == ["Signed quote Q-10001.pdf"]
    assert db.session.scalar(select(GoogleAccount)).refreshed_at is not None
    grant = next(iter(google.grants.values()))
    google.revoke(grant.refresh_token)
    google.offset += 3600
    for _ in range(2):
        with pytest.raises(GoogleTokenRevoked) as refused:
            services.with_drive(pat, lambda drive: drive.search())
        assert "Reconnect Google" in refused.value.fix
    db.session.expire_all()
    assert db.session.scalar(select(GoogleAccount)).needs_reconnect
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "google.reconnect_needed")) == 1


def test_disconnect_after_google_forgot_the_grant_still_deletes_here(app, client, login, google_sim):
    from sqlalchemy import select

    from wisesync.extensions import db
    from wisesync.google.models import GoogleAccount

    pat = make_user(make_account(), email="pat@acme.example")
    login(pat)
    connect(client, "pat@gmail.example")
    google_sim.state.google.reset()  # Google no longer knows the token: revoke says invalid_token
    assert client.post("/google/disconnect").status_code == 303
    assert db.session.scalar(select(GoogleAccount)) is None


def test_tokens_and_secret_never_show_in_reprs():
    settings = GoogleSettings("id", "top-secret", "a", "b", "c", "d", "e")
    assert "top-secret" not in repr(settings) and "top-secret" not in repr(GoogleOAuth(settings))
    assert "tok" not in repr(DriveClient(settings, "tok-123"))
