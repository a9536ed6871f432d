"""Credential services: encryption at rest, blank means unchanged, one primary API account even in a race."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.builders import make_account, make_user
from wisesync.credentials import connectivity, services
from wisesync.credentials.models import PsaCredential
from wisesync.crypto import decrypt
from wisesync.extensions import db
from wisesync.service_errors import FieldError
from wisesync.simulator import demo


def primaries(account_id: int) -> list[int]:
    db.session.expire_all()
    return [c.user_id for c in db.session.query(PsaCredential).filter_by(account_id=account_id, is_primary=True)]


def test_secret_is_stored_encrypted_and_blank_keeps_it(app, member, admin):
    services.save_member(member, member_id="jsmith", password=demo.CW_MEMBER_PASSWORD, actor=admin)
    cred = services.get_credential(member, "connectwise")
    token, set_at = cred.secret_enc, cred.secret_set_at
    assert demo.CW_MEMBER_PASSWORD not in token and decrypt(token) == demo.CW_MEMBER_PASSWORD
    assert services.save_member(member, member_id="jsmith", password="", actor=admin) == []
    assert services.save_member(member, member_id="jsmith", password=None, actor=admin) == []
    cred = services.get_credential(member, "connectwise")
    assert cred.secret_enc == token and cred.secret_set_at == set_at
    assert services.view_state(member, "connectwise")["secret_state"].startswith("•••• set on ")


def test_changing_credentials_forgets_the_old_test_result(app, member, admin, sim_faults):
    services.save_member(member, member_id="jsmith", password=demo.CW_MEMBER_PASSWORD, actor=admin)
    connectivity.run_connection_test(member, "connectwise", actor=admin)
    assert services.view_state(member, "connectwise")["report"].connected
    services.save_member(member, member_id="jdoe", password=None, actor=admin)
    state = services.view_state(member, "connectwise")
    assert state["report"] is None  # never shown as current
    assert state["stale_report"].connected and state["stale_reason"] == "It was tested with the previous member ID."


def test_a_new_password_makes_the_result_tested_with_the_previous_password(app, member, admin, sim_faults):
    services.save_member(member, member_id=demo.CW_MEMBER_ID, password=demo.CW_MEMBER_PASSWORD, actor=admin)
    connectivity.run_connection_test(member, "connectwise", actor=admin)
    services.save_member(member, member_id=demo.CW_MEMBER_ID, password="Other-7", actor=admin)
    state = services.view_state(member, "connectwise")
    assert state["report"] is None and state["stale_reason"] == "It was tested with the previous member password."


def test_typing_the_same_password_again_keeps_the_result_current(app, member, admin, sim_faults):
    services.save_member(member, member_id=demo.CW_MEMBER_ID, password=demo.CW_MEMBER_PASSWORD, actor=admin)
    connectivity.run_connection_test(member, "connectwise", actor=admin)
    services.save_member(member, member_id=demo.CW_MEMBER_ID, password=demo.CW_MEMBER_PASSWORD, actor=admin)
    state = services.view_state(member, "connectwise")
    assert state["report"].connected and state["stale_reason"] == ""


def test_settings_saved_after_a_test_make_it_outdated(app, member, admin, cw_account, sim_faults):
    """The issue's "Integration Settings not set, 21 min ago" after they were saved."""
    from wisesync.integrations.models import IntegrationSettings

    settings = db.session.query(IntegrationSettings).filter_by(account_id=cw_account.id).one()
    real_client_id, settings.cw_client_id = settings.cw_client_id, ""
    db.session.commit()
    services.save_api_member(member, public_key=demo.CW_PUBLIC_KEY, private_key=demo.CW_PRIVATE_KEY,
                             is_primary=False, actor=admin)
    report = connectivity.run_connection_test(member, "connectwise-api", actor=admin)
    assert not report.connected and services.view_state(member, "connectwise-api")["report"] is not None
    settings.cw_client_id = real_client_id
    db.session.commit()
    state = services.view_state(member, "connectwise-api")
    assert state["report"] is None
    assert state["stale_reason"] == "It was tested before the account's Integration Settings changed (client ID)."


def test_the_seal_holds_no_secret_and_a_result_without_one_counts_as_outdated(app, member, admin, sim_faults):
    services.save_member(member, member_id=demo.CW_MEMBER_ID, password=demo.CW_MEMBER_PASSWORD, actor=admin)
    connectivity.run_connection_test(member, "connectwise", actor=admin)
    cred = services.get_credential(member, "connectwise")
    sealed = cred.last_test["tested_with"]
    assert sealed["public"]["login"] == demo.CW_MEMBER_ID
    assert demo.CW_MEMBER_PASSWORD not in str(cred.last_test) and len(sealed["secrets"]["secret"]) == 64
    cred.last_test = {k: v for k, v in cred.last_test.items() if k != "tested_with"}  # as stored before seals
    db.session.commit()
    assert services.view_state(member, "connectwise")["stale_reason"].startswith("It was tested before Wise-Sync kept")


def test_nothing_secret_reaches_the_audit_trail_or_repr(app, member, admin):
    from wisesync.audit.models import AuditEvent

    services.save_api_member(member, public_key="simpublic", private_key="simprivate", is_primary=True, actor=admin)
    details = " ".join(e.detail for e in db.session.query(AuditEvent))
    assert "simprivate" not in details and "API private key" in details
    assert "simprivate" not in repr(services.get_credential(member, "connectwise-api"))


def test_ticking_primary_clears_it_on_the_other_user(app, cw_account, member, admin):
    services.save_api_member(admin, public_key="a", private_key="k1", is_primary=True, actor=admin)
    services.save_api_member(member, public_key="b", private_key="k2", is_primary=True, actor=admin)
    assert primaries(cw_account.id) == [member.id]
    services.save_api_member(member, public_key="b", private_key=None, is_primary=False, actor=admin)
    assert primaries(cw_account.id) == []


def test_primary_is_per_account(app, cw_account, member, admin):
    other = make_user(make_account("Other MSP"))
    services.save_api_member(member, public_key="a", private_key="k", is_primary=True, actor=admin)
    services.save_api_member(other, public_key="b", private_key="k", is_primary=True, actor=other)
    assert primaries(cw_account.id) == [member.id] and primaries(other.account_id) == [other.id]


def test_the_database_refuses_two_primaries_in_one_account(app, cw_account, member, admin):
    for user in (member, admin):
        db.session.add(PsaCredential(account_id=cw_account.id, user_id=user.id, kind="connectwise-api",
                                     login="k", is_primary=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_concurrent_primary_saves_leave_exactly_one_primary(app, cw_account, member, admin):
    """Session A makes the admin primary and holds its transaction open while the service makes
    the member primary from another thread; whichever order the database allows, one wins."""
    services.save_api_member(member, public_key="b", private_key="k2", is_primary=False, actor=admin)
    outcome: dict = {}

    def other_request():
        with app.app_context():
            user = db.session.get(type(member), member.id)
            try:
                outcome["changed"] = services.save_api_member(user, public_key="b", private_key=None,
                                                              is_primary=True, actor=user)
            except FieldError as exc:
                outcome["error"] = exc
            finally:
                db.session.remove()

    with Session(db.engine) as session_a:
        session_a.add(PsaCredential(account_id=cw_account.id, user_id=admin.id, kind="connectwise-api",
                                    login="a", is_primary=True))
        session_a.flush()  # A holds its write (SQLite) / its index entry (PostgreSQL)
        thread = threading.Thread(target=other_request)
        thread.start()
        time.sleep(0.5)  # the service is now blocked on A
        session_a.commit()
    thread.join(10)
    assert not thread.is_alive()
    assert len(primaries(cw_account.id)) == 1
    if "error" in outcome:  # PostgreSQL: the index turned the loser into a field error
        assert outcome["error"].field == "cw_is_primary"
        assert primaries(cw_account.id) == [admin.id]
    else:  # SQLite serialises writers: the later save clears A's primary in its own transaction
        assert primaries(cw_account.id) == [member.id]


def test_a_lost_race_is_a_400_on_the_primary_field(client, login, cw_account, member, admin, monkeypatch):
    """Whatever slips past the clearing (another transaction committing in between) ends as a
    field error, not a 500 and not two primaries."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: no other transaction can commit between our statements")
    real_execute = db.session.execute

    def execute_then_race(statement, *args, **kwargs):
        result = real_execute(statement, *args, **kwargs)
        if isinstance(statement, sa.Update) and statement.table.name == "psa_credentials":
            with db.engine.begin() as conn:  # a concurrent save commits right after our clear
                conn.execute(sa.insert(PsaCredential.__table__).values(
                    account_id=cw_account.id, user_id=admin.id, kind="connectwise-api", login="a",
                    is_primary=True, created_at=sa.func.now(), updated_at=sa.func.now()))
        return result

    login(admin)
    monkeypatch.setattr(db.session, "execute", execute_then_race)
    response = client.post(f"/users/{member.id}/connectwise-api",
                           data={"cw_public_key": "b", "cw_private_key": "k2", "cw_is_primary": "y"})
    monkeypatch.undo()
    assert response.status_code == 400
    assert "primary API account at the same moment" in response.get_data(as_text=True)
    assert primaries(cw_account.id) == [admin.id]
    assert services.get_credential(member, "connectwise-api") is None  # nothing half-saved


def test_a_conflict_at_commit_is_a_field_error_and_saves_nothing(app, cw_account, member, admin, monkeypatch):
    def conflict():
        raise IntegrityError("INSERT", {}, Exception("unique violation"))

    monkeypatch.setattr(db.session, "commit", conflict)
    with pytest.raises(FieldError) as raised:
        services.save_api_member(member, public_key="b", private_key="k", is_primary=True, actor=admin)
    monkeypatch.undo()
    assert raised.value.field == "cw_is_primary" and "k" not in str(raised.value).split()
    assert services.get_credential(member, "connectwise-api") is None


@pytest.mark.sqlite_only
def test_secrets_are_absent_from_the_sqlite_file(app, member, admin, at_account):
    at_user = make_user(at_account)
    services.save_member(member, member_id="jsmith", password="Member-Pass-1", actor=admin)
    services.save_api_member(member, public_key="simpublic", private_key="Private-Key-Zz9", is_primary=True,
                             actor=admin)
    services.save_autotask(at_user, username="tech@wisesim.example", password="Tech-Pass-1", actor=at_user)
    db.session.remove()
    db.engine.dispose()  # checkpoint the WAL so every write is in the main file
    path = Path(db.engine.url.database)
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"jsmith" in raw  # the file is the right one: public values are there
    for secret in (b"Member-Pass-1", b"Private-Key-Zz9", b"Tech-Pass-1"):
        assert secret not in raw
