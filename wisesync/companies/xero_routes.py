"""The Xero OAuth redirect (``GET /xero/callback``) and the browser-session half of the flow.

``POST /companies/<id>/xero/connect`` (in :mod:`wisesync.companies.routes`) keeps a random
``state``, the PKCE verifier, the company and the user in the (signed) session; the callback
accepts the answer only with that state, for that user, once, within :data:`FLOW_SECONDS`.
Anything else is a 400 page that says what happened and saves nothing.
"""
from __future__ import annotations

import secrets
import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from wisesync.accounting.errors import XeroError
from wisesync.auth.access import admin_required, client_ip, current_actor
from wisesync.companies import xero
from wisesync.companies.models import Company
from wisesync.extensions import db

bp = Blueprint("xero", __name__)

SESSION_KEY = "xero_oauth"
FLOW_SECONDS = 15 * 60
START_AGAIN = "Open the company's page and click Connect Xero to start again."


def redirect_uri() -> str:
    """The exact redirect URI to register with Xero: from ``WISESYNC_PUBLIC_URL`` when set,
    else from the request (see :mod:`wisesync.urls`)."""
    from wisesync.urls import external_url

    return external_url("xero.callback")


def start_flow(company: Company) -> tuple[str, str]:
    """A new state and PKCE verifier for ``company`` and the current user (replacing any
    earlier, unfinished connect in this browser session)."""
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    session[SESSION_KEY] = {"state": state, "verifier": verifier, "company_id": company.id,
                            "user_id": current_user.id, "at": int(time.time())}
    return state, verifier


class CallbackRefused(Exception):
    def __init__(self, message: str, company: Company | None = None):
        super().__init__(message)
        self.message = message
        self.company = company


def _take_flow(state: str) -> dict:
    """The pending flow this answer belongs to, removed from the session (single use)."""
    flow = session.pop(SESSION_KEY, None)
    if not flow:
        raise CallbackRefused("This answer from Xero was already used, or no Connect Xero was started "
                              "in this browser session, so nothing was saved. " + START_AGAIN)
    if not state or not secrets.compare_digest(str(state), str(flow.get("state", ""))):
        raise CallbackRefused("This answer from Xero does not belong to the Connect Xero started in this "
                              "browser session (the state does not match), so nothing was saved. " + START_AGAIN)
    if flow.get("user_id") != current_user.id:
        raise CallbackRefused("This Connect Xero was started by someone else, so nothing was saved. " + START_AGAIN)
    if time.time() - int(flow.get("at", 0)) > FLOW_SECONDS:
        raise CallbackRefused("This Connect Xero took longer than 15 minutes and expired, so nothing was "
                              "saved. " + START_AGAIN)
    return flow


def _refused(message: str, company: Company | None = None, status: int = 400, audit: str = ""):
    if audit:
        _audit(company, audit)
    return render_template("companies/xero_callback.html", message=message, company=company), status


@bp.get("/xero/callback")
@admin_required
def callback():
    try:
        flow = _take_flow(request.args.get("state", ""))
    except CallbackRefused as exc:
        return _refused(exc.message, audit=exc.message)
    company = db.session.scalar(db.select(Company).where(Company.id == flow["company_id"],
                                                         Company.account_id == current_user.account_id))
    if company is None:
        return _refused("The company this Connect Xero was for no longer exists.")
    error = request.args.get("error")
    if error:
        _audit(company, f"Xero answered {error[:80]}")
        if error == "access_denied":
            flash("You cancelled in Xero, so nothing was connected. Click Connect Xero to try again.", "info")
        else:
            flash(f"Xero did not give access ({error[:80]}). Nothing was connected. Click Connect Xero "
                  "to try again.", "error")
        return redirect(url_for("companies.edit", company_id=company.id), 303)
    code = request.args.get("code", "")
    if not code:
        message = "Xero's answer carried no authorisation code, so nothing was saved. " + START_AGAIN
        return _refused(message, company, audit=message)
    try:
        outcome = xero.complete_connection(company, code=code, redirect_uri=redirect_uri(),
                                           code_verifier=flow["verifier"], actor=current_actor(),
                                           ip=client_ip())
    except xero.XeroConnectRefused as exc:
        return _refused(exc.message, company, audit=exc.message)
    except XeroError as exc:
        return _refused(f"{exc.explanation} {exc.fix} Nothing was saved.".strip(), company, 502,
                        audit=exc.explanation)
    if not outcome.chosen:
        flash("Xero gave access to several organisations: choose the one for "
              f"{company.name}.", "info")
        return redirect(url_for("companies.xero_tenant", company_id=company.id), 303)
    flash(linked_message(company, outcome), "success")
    return redirect(url_for("companies.edit", company_id=company.id), 303)


def _audit(company: Company | None, reason: str) -> None:
    xero.connect_failed(company, reason, account_id=current_user.account_id, actor=current_actor(),
                        ip=client_ip())


def linked_message(company: Company, outcome) -> str:
    conn = outcome.connection
    where = f" ({conn.tenant_country})" if conn.tenant_country else ""
    text = (f"{company.name} is now linked to the Xero organisation {conn.tenant_name}{where}. "
            "Choose its tax codes below, save, then click Test.")
    return " ".join([text, *outcome.notes])
