"""Finding 3: concurrent first-run POSTs create exactly one account and one admin.

The outside test sent eight POST /setup at once and got four accounts, each with an admin.
A singleton row (``setup_claims``, id 1) is inserted first in the setup transaction: the
database lets one transaction have it, the others get the 404 of a finished setup. Runs on
SQLite and PostgreSQL (``WISESYNC_TEST_DB=postgresql``).
"""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.auth.test_routes import SETUP
from wisesync.accounts.models import Account
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.users.models import User

RACERS = 8


def test_concurrent_setup_posts_create_exactly_one_account_and_admin(app):
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def race(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            with app.app_context():
                response = client.post("/setup", data={**SETUP, "email": f"admin{n}@example.com",
                                                       "account_name": f"MSP {n}"})
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Account.id))) == 1
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(User.role)) == "account-admin"
    assert sorted(statuses) == [302] + [404] * (RACERS - 1), statuses


def test_setup_after_a_finished_setup_is_404_even_if_users_were_removed(app, client):
    """The claim row outlives the users table being emptied by hand: setup stays closed."""
    assert client.post("/setup", data=SETUP).status_code == 302
    db.session.execute(AuditEvent.__table__.delete())
    db.session.execute(User.__table__.delete())
    db.session.commit()
    assert app.test_client().post("/setup", data={**SETUP, "email": "late@example.com"}).status_code == 404
