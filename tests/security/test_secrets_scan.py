"""After a scenario that sets every kind of secret through the pages, no secret is in the
database file (or rows), the logs, or any page."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import sqlalchemy as sa

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_company
from tests.companies.xero_flow import connect as connect_xero
from tests.companies.xero_flow import xero_config
from tests.security.world import routes, url_for_rule
from wisesync.extensions import db
from wisesync.users.models import User

SECRETS = {
    "new_user_password": "Zq-NewUser-Pass-4711",
    "admin_set_password": "Zq-AdminSet-Pass-4712",
    "own_password": "Zq-OwnChange-Pass-4713",
    "reset_password": "Zq-ViaReset-Pass-4714",
    "cw_member_password": "Zq-Member-Pass-4715",
    "cw_private_key": "Zq-ApiPrivate-Key-4716",
    "integration_cw_private_key": "Zq-IntegPrivate-Key-4717",
    "at_password": "Zq-AtUser-Pass-4718",
    "integration_at_secret": "Zq-AtSecret-Pass-4719",
}


def _login(client, username, password=DEFAULT_PASSWORD):
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302


def _ok(response):
    assert response.status_code < 400, response.get_data(as_text=True)[:2000]
    return response


def _scenario(app, psa_sim, mailbox):
    cw = make_account("CW MSP", "connectwise")
    at = make_account("AT MSP", "autotask")
    company = make_company(cw)
    cw_admin, at_admin = make_admin(cw), make_admin(at)
    c = app.test_client()
    _login(c, cw_admin.username)
    _ok(c.post("/users/new", data={"role": "user", "companies": [company.id], "first_name": "Sam",
                                   "last_name": "Scan", "email": "sam.scan@example.com", "username": "",
                                   "password": SECRETS["new_user_password"],
                                   "password_confirm": SECRETS["new_user_password"]}))
    sam = db.session.scalar(sa.select(User).where(User.email == "sam.scan@example.com"))
    _ok(c.post(f"/users/{sam.id}/password", data={"password": SECRETS["admin_set_password"],
                                                   "password_confirm": SECRETS["admin_set_password"]}))
    _ok(c.post(f"/users/{sam.id}/connectwise", data={
        "cw_member_id": "jsmith", "cw_member_password": SECRETS["cw_member_password"],
        "cw_member_password_confirm": SECRETS["cw_member_password"]}))
    _ok(c.post(f"/users/{sam.id}/connectwise-api", data={
        "cw_public_key": "pubkey", "cw_private_key": SECRETS["cw_private_key"], "cw_is_primary": "y"}))
    c.post(f"/users/{sam.id}/connectwise/test")
    c.post(f"/users/{sam.id}/connectwise-api/test")
    _ok(c.post("/integrations/connectwise", data={
        "cw_company_id": "wisesim", "cw_region": "self", "cw_site": psa_sim.url,
        "cw_public_key": "pubkey", "cw_private_key": SECRETS["integration_cw_private_key"],
        "cw_client_id": "client", "save_anyway": "y"}))
    sam_client = app.test_client()
    _login(sam_client, sam.username, SECRETS["admin_set_password"])
    _ok(sam_client.post("/profile", data={"current_password": SECRETS["admin_set_password"],
                                          "password": SECRETS["own_password"],
                                          "password_confirm": SECRETS["own_password"]}))
    _ok(sam_client.post("/reset-password", data={"email": sam.email}))
    link = mailbox.reset_link()
    _ok(sam_client.post(link, data={"password": SECRETS["reset_password"],
                                    "password_confirm": SECRETS["reset_password"]}))
    a = app.test_client()
    _login(a, at_admin.username)
    _ok(a.post(f"/users/{at_admin.id}/autotask", data={
        "at_username": "tech@wisesim.example", "at_password": SECRETS["at_password"],
        "at_password_confirm": SECRETS["at_password"]}))
    a.post(f"/users/{at_admin.id}/autotask/test")
    _ok(a.post("/integrations/autotask", data={
        "at_username": "api@wisesim.example", "at_secret": SECRETS["integration_at_secret"],
        "at_integration_code": "SIMINTEGRATION",
        "at_zone_url": psa_sim.url + "/atservicesrest/v1.0/", "save_anyway": "y"}))
    xero_tokens = _connect_xero(c, company, psa_sim)
    return {"cw": (c, cw_admin), "at": (a, at_admin), "sam": sam, "link": link, "xero": xero_tokens}


def _xero_tokens(psa_sim) -> set[str]:
    grants = psa_sim.state.xero.grants
    return ({g.refresh_token for g in grants.grants if g.refresh_token}
            | set(grants._access))  # noqa: SLF001 — every access token the simulator issued


def _connect_xero(client, company, psa_sim) -> set[str]:
    """Connect the company to the simulated Xero, then make it refresh (Test after the access
    token is about to expire): every token it ever held is returned."""
    from datetime import timedelta

    from wisesync.companies.xero_models import XeroConnection
    from wisesync.modelbase import utcnow

    assert connect_xero(client, company).status_code == 303
    seen = _xero_tokens(psa_sim)
    db.session.execute(sa.update(XeroConnection).values(expires_at=utcnow() + timedelta(seconds=30)))
    db.session.commit()
    _ok(client.post(f"/companies/{company.id}/xero/test"))
    return seen | _xero_tokens(psa_sim)


def _database_text(app) -> bytes:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    rows = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows.extend(repr(tuple(r)) for r in conn.execute(table.select()))
    return "\n".join(rows).encode()


def _pages(app, scenario) -> str:
    seen = []
    for key in ("cw", "at"):
        client, who = scenario[key]
        _login(client, who.username)
        from tests.security.world import World

        world = World(who.account, who.account, who, who, who, scenario["sam"] if key == "cw" else who,
                      who, None, 1, None)
        for rule, method in routes(app):
            if method != "GET" or rule.endpoint in ("auth.logout",):
                continue
            try:
                url = url_for_rule(rule, world)
            except AttributeError:  # company_id: no company object in this ad-hoc world
                url = rule.rule.replace("<int:company_id>", "1")
            seen.append(client.get(url).get_data(as_text=True))
    return "\n".join(seen)


def test_no_secret_in_database_logs_or_pages(app, psa_sim, mailbox, caplog):
    app.config["WISESYNC_AUTOTASK_ZONE_LOOKUP_URL"] = psa_sim.url + "/atservicesrest/v1.0/zoneInformation"
    app.config.update(xero_config(psa_sim.url))
    psa_sim.state.xero.reset()
    caplog.set_level(logging.DEBUG)
    scenario = _scenario(app, psa_sim, mailbox)
    token = scenario["link"].rsplit("/", 1)[1]
    database = _database_text(app)
    pages = _pages(app, scenario)
    logs = caplog.text
    xero_tokens = {f"xero_token_{i}": t for i, t in enumerate(sorted(scenario["xero"]))}
    assert len(xero_tokens) >= 4  # two access and two refresh tokens: the connect and one refresh
    found = []
    for name, secret in {**SECRETS, "reset_token": token, **xero_tokens}.items():
        for where, haystack in (("database", database), ("logs", logs), ("pages", pages)):
            needle = secret.encode() if isinstance(haystack, bytes) else secret
            if needle in haystack:
                found.append(f"{name} in {where}")
    assert not found, found
    assert database.count(b"gAAAAA") >= 7  # the PSA secrets and Xero tokens were stored, Fernet-encrypted
    assert len(pages) > 10000 and re.search(r"sam\.scan@example\.com", pages)
