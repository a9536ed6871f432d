"""Xero tokens: refreshed before they expire, one refresh per grant however many callers race
(threads with sessions of their own, on SQLite and PostgreSQL), a refused refresh marks the
company "Reconnect Xero" once and later calls fail fast, disconnect revokes the grant."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.builders import make_account, make_admin, make_company
from tests.companies.xero_flow import NZ_TENANT_ID, connect, xero_config
from wisesync.accounting.errors import XeroGrantRevoked
from wisesync.audit.models import AuditEvent
from wisesync.companies import xero
from wisesync.companies.models import Company
from wisesync.companies.xero_models import XeroConnection
from wisesync.crypto import decrypt
from wisesync.extensions import db
from wisesync.modelbase import utcnow
from wisesync.simulator.faults import Fault


@pytest.fixture
def app_config(psa_sim):
    return xero_config(psa_sim.url)


@pytest.fixture
def admin(login):
    user = make_admin(make_account())
    login(user)
    return user


@pytest.fixture
def company(client, admin, xero_sim):
    company = make_company(admin.account, "Acme NZ")
    assert connect(client, company).status_code == 303
    return company


def connection(company) -> XeroConnection | None:
    db.session.expire_all()
    return db.session.scalar(select(XeroConnection).where(XeroConnection.company_id == company.id))


def expire_soon(company, seconds: int = 60) -> None:
    """The stored access token expires within the refresh margin (what 28 minutes of work do)."""
    db.session.execute(update(XeroConnection).where(XeroConnection.company_id == company.id)
                       .values(expires_at=utcnow() + timedelta(seconds=seconds)))
    db.session.commit()


@pytest.fixture
def refreshes(xero_sim, monkeypatch):
    """Counts the refresh requests that reach the simulated Xero (slowed a little, so that
    racing callers really overlap)."""
    grants = xero_sim.state.xero.grants
    real = grants.refresh
    calls = []

    def counted(client_id, refresh_token):
        calls.append(refresh_token)
        time.sleep(0.3)
        return real(client_id, refresh_token)

    monkeypatch.setattr(grants, "refresh", counted)
    return calls


def test_a_fresh_token_is_used_as_it_is(company, refreshes):
    before = connection(company).access_token_enc
    client = xero.xero_client_for(company)
    assert client.organisation()["Name"] == "Wisesim NZ Ltd"
    assert refreshes == [] and connection(company).access_token_enc == before


def test_a_token_that_expires_within_two_minutes_is_refreshed_first(company, refreshes):
    old = connection(company)
    old_access, old_refresh = decrypt(old.access_token_enc), decrypt(old.refresh_token_enc)
    expire_soon(company, 100)
    client = xero.xero_client_for(company)
    assert client.organisation()["Name"] == "Wisesim NZ Ltd"
    new = connection(company)
    assert refreshes == [old_refresh]
    assert decrypt(new.access_token_enc) != old_access and decrypt(new.refresh_token_enc) != old_refresh
    assert new.expires_at > utcnow() + timedelta(minutes=25) and new.refresh_claim is None
    expire_soon(company, 100)  # the rotated refresh token works too
    xero.xero_client_for(company).organisation()
    assert len(refreshes) == 2


def test_an_expired_token_is_refreshed_after_xeros_clock_moved_on(company, refreshes, xero_sim):
    xero_sim.state.xero.advance(31 * 60)
    expire_soon(company, -60)
    assert xero.xero_client_for(company).tax_rates()
    assert len(refreshes) == 1


def test_two_concurrent_refreshes_send_one_refresh_and_both_get_a_working_token(app, company, refreshes):
    expire_soon(company)
    company_id, start, results, errors = company.id, threading.Barrier(2), [], []

    def worker():
        with app.app_context():
            try:
                mine = db.session.get(Company, company_id)  # a session (and connection) of its own
                start.wait()
                client = xero.xero_client_for(mine)
                results.append(client.organisation()["Name"])
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(refreshes) == 1
    assert results == ["Wisesim NZ Ltd"] * 2
    conn = connection(company)
    assert conn.status == "ok" and conn.refresh_claim is None
    assert conn.expires_at > utcnow() + timedelta(minutes=25)


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_its_lease(company, refreshes):
    expire_soon(company)
    db.session.execute(update(XeroConnection).where(XeroConnection.company_id == company.id).values(
        refresh_claim="dead-worker", refresh_claimed_at=utcnow() - xero.CLAIM_TTL - timedelta(seconds=1)))
    db.session.commit()
    xero.xero_client_for(company).organisation()
    assert len(refreshes) == 1 and connection(company).refresh_claim is None


def test_a_refused_refresh_marks_reconnect_once_and_later_calls_fail_fast(client, company, refreshes, xero_sim):
    conn = connection(company)
    xero_sim.state.xero.grants.revoke("simxero", decrypt(conn.refresh_token_enc))  # revoked in Xero
    expire_soon(company)
    with pytest.raises(XeroGrantRevoked) as first:
        xero.xero_client_for(company)
    assert "Reconnect Xero" in first.value.fix
    with pytest.raises(XeroGrantRevoked) as second:
        xero.xero_client_for(company)
    assert second.value.explanation == first.value.explanation
    assert len(refreshes) == 1  # the second call never reached Xero
    conn = connection(company)
    assert conn.status == "reconnect" and "refused to renew" in conn.status_reason
    assert conn.access_token_enc is None and conn.refresh_token_enc is None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "company.xero_reconnect_needed")).all()
    assert len(events) == 1 and events[0].account_id == company.account_id
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Reconnect Xero" in page and "refused to renew" in page
    assert connect(client, company).status_code == 303  # reconnecting clears it
    conn = connection(company)
    assert conn.status == "ok" and conn.tenant_id == NZ_TENANT_ID
    xero.xero_client_for(company).organisation()


def test_a_refresh_that_fails_for_another_reason_releases_the_claim(company, refreshes, xero_sim):
    expire_soon(company)
    xero_sim.state.faults.add(Fault(kind="500", target="xero", path="/connect/token", count=1))
    with pytest.raises(Exception) as caught:
        xero.xero_client_for(company)
    assert "Xero" in str(caught.value)
    conn = connection(company)
    assert conn.refresh_claim is None and conn.status == "ok"
    xero.xero_client_for(company).organisation()  # the refresh token was not spent


def test_a_company_never_connected_raises_not_connected(app, admin):
    company = make_company(admin.account)
    with pytest.raises(xero.XeroNotConnected) as caught:
        xero.xero_client_for(company)
    assert "Connect Xero" in caught.value.fix


def test_disconnect_revokes_the_grant_and_deletes_the_tokens(client, company, xero_sim):
    refresh = decrypt(connection(company).refresh_token_enc)
    response = client.post(f"/companies/{company.id}/xero/disconnect")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Xero revoked Wise-Sync's access" in page and "Connect Xero" in page
    assert connection(company) is None
    grant = next(g for g in xero_sim.state.xero.grants.grants)
    assert grant.revoked and grant.refresh_token == refresh
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-1] == "company.xero_disconnected"
    with pytest.raises(xero.XeroNotConnected):
        xero.xero_client_for(company)


def test_disconnect_deletes_the_tokens_even_when_xero_is_unreachable(client, company, xero_sim):
    xero_sim.state.faults.add(Fault(kind="500", target="xero"))
    response = client.post(f"/companies/{company.id}/xero/disconnect")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not be reached" in page and "Connected apps" in page
    assert connection(company) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "company.xero_disconnected"))
    assert "tokens deleted here anyway" in event.detail


def test_rotate_secrets_re_encrypts_the_xero_tokens_and_the_connection_keeps_working(app, company, refreshes):
    from cryptography.fernet import Fernet

    old_keys = list(app.config["WISESYNC_SECRETS_KEYS"])
    before = connection(company)
    access, refresh = decrypt(before.access_token_enc), decrypt(before.refresh_token_enc)
    new_key = Fernet.generate_key().decode()
    app.config["WISESYNC_SECRETS_KEYS"] = [new_key, *old_keys]
    result = app.test_cli_runner().invoke(args=["rotate-secrets"])
    assert result.exit_code == 0, result.output
    assert "xero_connections.access_token_enc: 1 re-encrypted" in result.output
    assert "xero_connections.refresh_token_enc: 1 re-encrypted" in result.output
    assert access not in result.output and refresh not in result.output
    app.config["WISESYNC_SECRETS_KEYS"] = [new_key]  # the old key is gone
    after = connection(company)
    assert decrypt(after.refresh_token_enc) == refresh
    expire_soon(company)
    xero.xero_client_for(company).organisation()
    assert refreshes == [refresh]


def test_rotation_never_writes_back_a_token_a_refresh_replaced_meanwhile(app, company, monkeypatch):
    """rotate-secrets reads every row, then writes each back re-encrypted: a refresh storing a
    new refresh token in between must win, or the spent token would come back."""
    from wisesync.credentials import rotation
    from wisesync.crypto import encrypt

    table = XeroConnection.__table__
    real_rotate = rotation.rotate
    replaced = encrypt("refresh-token-stored-by-another-process")

    def rotate_while_a_refresh_lands(token, keys=None):
        if token == connection(company).refresh_token_enc:
            with db.engine.begin() as other_process:
                other_process.execute(table.update().values(refresh_token_enc=replaced))
        return real_rotate(token, keys)

    monkeypatch.setattr(rotation, "rotate", rotate_while_a_refresh_lands)
    counts = rotation.rotate_secrets()
    assert connection(company).refresh_token_enc == replaced
    assert counts.get("xero_connections.refresh_token_enc", 0) == 0
