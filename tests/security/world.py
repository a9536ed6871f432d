"""Two accounts with people and objects, and a client per persona, for the route-wide tests.

Personas: anonymous; ``user`` (role user); ``qlink`` (an account-admin whose session was opened
through the real ``/q/<token>`` route, the harder case for the QLink password step); ``admin``
(account-admin); ``foreign_admin`` (admin of another account, sent this account's ids).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_company, make_payment_link, make_user
from wisesync.extensions import db

PERSONAS = ("anonymous", "user", "qlink", "foreign_admin", "admin")


@dataclass
class World:
    account: object
    other_account: object
    admin: object
    user: object
    qlink_admin: object
    target: object  # a plain user of the account: the object of /users/<id> routes
    foreign_admin: object
    company: object
    run_id: int
    qlink_token: str | None
    extra: dict = field(default_factory=dict)


def build_world() -> World:
    account = make_account("Acme MSP", "connectwise")
    other = make_account("Other MSP", "connectwise")
    company = make_company(account, "Acme Books Ltd")
    admin = make_admin(account, first_name="Ada")
    user = make_user(account, first_name="Uma", companies=[company])
    qlink_admin = make_admin(account, first_name="Quinn")
    target = make_user(account, first_name="Tess", companies=[company])
    foreign_admin = make_admin(other, first_name="Fred")
    make_company(other, "Other Books")
    token = None
    try:
        from wisesync.qlink import services as qlink

        token = qlink.generate_qlink(qlink_admin, actor=admin)
    except ImportError:
        pass
    run_id = 1
    try:
        from wisesync.psadata.runs import SyncRun

        run = SyncRun(account_id=account.id, started_by_id=admin.id, psa_type="connectwise",
                      status="succeeded")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    except ImportError:
        pass
    link = make_payment_link(target)  # /users/wise-pay-links/<link_id>/...
    from wisesync.documents.models import TransactionAttachment  # /documents/attachments/<attachment_id>/...

    attachment = TransactionAttachment(account_id=account.id, company_id=company.id, psa="connectwise",
                                       kind="invoice", psa_id="1", file_name="quote.pdf", mime_type="application/pdf",
                                       size=5, sha256="0" * 64, content=b"%PDF-", source="upload", state="failed")
    db.session.add(attachment)
    db.session.commit()
    return World(account, other, admin, user, qlink_admin, target, foreign_admin, company, run_id,
                 token, extra={"link_id": link.id, "kind": "invoice", "psa_id": "1",
                               "attachment_id": attachment.id})


def client_for(app, world: World, persona: str):
    """A fresh client logged in as ``persona`` through the real login (or QLink) route."""
    client = app.test_client()
    if persona == "anonymous":
        return client
    if persona == "qlink":
        if world.qlink_token:
            response = client.get(f"/q/{world.qlink_token}")
            assert response.status_code == 303, response.status_code
        else:  # no QLink feature installed: mark a password session the way it would
            _password_login(client, world.qlink_admin)
            with client.session_transaction() as s:
                s["qlink"] = world.qlink_admin.id
        return client
    who = {"user": world.user, "admin": world.admin, "foreign_admin": world.foreign_admin}[persona]
    _password_login(client, who)
    return client


def _password_login(client, user) -> None:
    response = client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def url_for_rule(rule, world: World) -> str:
    """The rule with this account's object ids (and dummy tokens) filled in."""
    values = {
        "user_id": world.target.id,
        "company_id": world.company.id,
        "run_id": world.run_id,
        "token": "not-a-real-token",
        "filename": "css/app.css",
        **world.extra,
    }
    url = rule.rule
    for arg in rule.arguments:
        if arg not in values:
            raise AssertionError(f"{rule.rule}: no test value for <{arg}>; add it to url_for_rule")
        converter = rule._converters[arg]
        url = url.replace(f"<{_converter_source(rule, arg)}>", str(values[arg]))
        del converter
    return url


def _converter_source(rule, arg: str) -> str:
    import re

    match = re.search(r"<([^>]*:)?" + re.escape(arg) + r">", rule.rule)
    return match.group(0)[1:-1]


def routes(app):
    """(rule, method) for every route and method a person can call, static files excluded."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method
