"""Token rules of QLinks and the account QLink, at the service level."""
from __future__ import annotations

import base64
import hashlib

from sqlalchemy import select

from tests.builders import make_account, make_admin, make_user
from wisesync.audit.models import AuditEvent
from wisesync.extensions import db
from wisesync.qlink import services
from wisesync.qlink.models import AccountQLink, QLink


def _setup():
    account = make_account()
    return account, make_admin(account), make_user(account)


def test_token_has_prefix_and_256_bits_of_randomness(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    assert token.startswith("wsq_")
    random_part = token[len("wsq_"):]
    assert len(base64.urlsafe_b64decode(random_part + "=")) == 32


def test_only_the_sha256_of_the_token_is_stored(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    link = db.session.scalar(select(QLink))
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(v) for v in db.session.execute(select(QLink.__table__)).one()]
    assert not any(token in value or token[4:] in value for value in stored)
    assert token not in repr(link)


def test_generate_replaces_the_old_token_at_once(app):
    _, admin, user = _setup()
    old = services.generate_qlink(user, actor=admin)
    new = services.generate_qlink(user, actor=admin)
    assert old != new
    assert services.use_qlink(old) is None
    assert services.use_qlink(new).id == user.id
    assert db.session.scalar(select(db.func.count(QLink.id))) == 1


def test_revoke_kills_the_token(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    assert services.revoke_qlink(user, actor=admin) is True
    assert services.use_qlink(token) is None
    assert services.revoke_qlink(user, actor=admin) is False


def test_disabled_user_qlink_is_refused_even_if_the_row_survived(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    # Flip the flag behind the ORM's back: the use-time rule alone must refuse it.
    db.session.execute(db.update(user.__class__).where(user.__class__.id == user.id).values(enabled=False))
    db.session.commit()
    assert db.session.scalar(select(QLink)) is not None
    assert services.use_qlink(token) is None


def test_disabling_a_user_deletes_their_qlink_for_good(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    user.enabled = False
    db.session.commit()
    assert db.session.scalar(select(QLink)) is None
    user.enabled = True
    db.session.commit()
    assert services.use_qlink(token) is None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "qlink.revoked" in actions


def test_token_with_the_wrong_prefix_or_garbage_is_refused(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    assert services.use_qlink("wsa_" + token[4:]) is None
    assert services.use_qlink(token + "x") is None
    assert services.use_qlink("") is None
    assert services.use_account_qlink(token) is None  # a user token is not an account token


def test_use_records_time_ip_framed_and_audits(app):
    _, admin, user = _setup()
    token = services.generate_qlink(user, actor=admin)
    assert services.use_qlink(token, ip="203.0.113.9", framed=True).id == user.id
    link = db.session.scalar(select(QLink))
    assert link.last_used_at is not None and link.last_used_ip == "203.0.113.9"
    assert link.last_used_framed is True
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["qlink.generated", "qlink.used"]
    assert all(token not in e.detail for e in events)


def test_autotask_account_qlinks_do_not_work(app):
    account = make_account(psa_type="autotask")
    admin, user = make_admin(account), make_user(account)
    token = services.generate_qlink(user, actor=admin)
    assert services.use_qlink(token) is None


def test_account_qlink_is_one_per_account_and_replaced_on_regenerate(app):
    account, admin, _ = _setup()
    old = services.generate_account_qlink(account, actor=admin)
    new = services.generate_account_qlink(account, actor=admin)
    assert new.startswith("wsa_") and old != new
    assert services.use_account_qlink(old) is None
    assert services.use_account_qlink(new).id == account.id
    assert db.session.scalar(select(db.func.count(AccountQLink.id))) == 1
    assert db.session.scalar(select(AccountQLink)).token_hash == hashlib.sha256(new.encode()).hexdigest()
    assert "account_qlink.generated" in db.session.scalars(select(AuditEvent.action)).all()
