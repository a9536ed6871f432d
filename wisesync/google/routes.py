"""The Google section of the user page, the person's own Google page, and the OAuth flow.

``POST /google/connect`` keeps a random ``state``, the PKCE verifier and the user in the
(signed) session and sends the person to Google; ``GET /google/callback`` accepts Google's
answer only with that state, for that same user, once, within 15 minutes. There is no user id
in these URLs: a person can only ever connect or disconnect their *own* Google account.
"""
from __future__ import annotations

import secrets
import time

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from wisesync.auth.access import client_ip, current_actor
from wisesync.google import services
from wisesync.google.errors import GoogleError
from wisesync.urls import external_url
from wisesync.users.sections import register_section
from wisesync.web import widen_form_action

bp = Blueprint("google", __name__)

SESSION_KEY = "google_oauth"
FLOW_SECONDS = 15 * 60
START_AGAIN = "Click Connect Google Account to start again."


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    register_section("google/_section.html", section_context, order=70)


@bp.after_app_request
def allow_google_form_action(response):
    """A page with the Connect Google Account button lets its form lead to Google's sign-in:
    browsers apply CSP ``form-action`` to the redirect a form POST answers with, too (as for
    Connect Xero in :mod:`wisesync.companies.routes`)."""
    return widen_form_action(response, g.pop("google_form_action", None))


def section_context(user, viewer) -> dict:
    """The Google card: the person sees their address and the buttons; anyone else (an admin)
    sees only whether they are connected and since when."""
    is_self = viewer.id == user.id
    if is_self and services.google_configured():
        parts = urlsplit(current_app.config["WISESYNC_GOOGLE_AUTHORIZE_URL"])
        g.google_form_action = f"{parts.scheme}://{parts.netloc}"
    return {"configured": services.google_configured(), "is_self": is_self,
            "status": services.status_for(user, show_email=is_self),
            "redirect_uri": external_url("google.callback") if viewer.is_admin else ""}


def _back():
    return redirect(url_for("google.page"), 303)


@bp.get("/google")
@login_required
def page():
    return render_template("google/page.html", user=current_user, section=section_context(current_user, current_user))


@bp.post("/google/connect")
@login_required
def connect():
    if not services.google_configured():
        flash("Google is not set up on this Wise-Sync yet: an administrator sets WISESYNC_GOOGLE_CLIENT_ID "
              "and WISESYNC_GOOGLE_CLIENT_SECRET (see the README, \"Google account and documents\").", "error")
        return _back()
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    session[SESSION_KEY] = {"state": state, "verifier": verifier, "user_id": current_user.id, "at": int(time.time())}
    url = services.authorization_url(current_user, external_url("google.callback"), state, verifier)
    return redirect(url, 303)


def _take_flow(state: str) -> tuple[dict | None, str]:
    flow = session.pop(SESSION_KEY, None)
    if not flow:
        return None, ("This answer from Google was already used, or no Connect Google Account was started in this "
                      "browser session, so nothing was saved. " + START_AGAIN)
    if not state or not secrets.compare_digest(str(state), str(flow.get("state", ""))):
        return None, ("This answer from Google does not belong to the Connect Google Account started in this "
                      "browser session, so nothing was saved. " + START_AGAIN)
    if flow.get("user_id") != current_user.id:
        return None, "This Connect Google Account was started by someone else, so nothing was saved. " + START_AGAIN
    if time.time() - int(flow.get("at", 0)) > FLOW_SECONDS:
        return None, "This Connect Google Account took longer than 15 minutes and expired. " + START_AGAIN
    return flow, ""


def _refused(message: str, status: int = 400):
    services.connect_failed(current_actor(), message, ip=client_ip())
    return render_template("google/callback.html", message=message), status


@bp.get("/google/callback")
@login_required
def callback():
    flow, problem = _take_flow(request.args.get("state", ""))
    if flow is None:
        return _refused(problem)
    error = request.args.get("error")
    if error:
        services.connect_failed(current_actor(), f"Google answered {error[:80]}", ip=client_ip())
        if error == "access_denied":
            flash("You cancelled at Google, so nothing was connected. Click Connect Google Account to try again.", "info")
        else:
            flash(f"Google did not give access ({error[:80]}). Nothing was connected. " + START_AGAIN, "error")
        return _back()
    code = request.args.get("code", "")
    if not code:
        return _refused("Google's answer carried no authorisation code, so nothing was saved. " + START_AGAIN)
    try:
        acc = services.complete_connection(current_actor(), code=code, redirect_uri=external_url("google.callback"),
                                           code_verifier=flow["verifier"], ip=client_ip())
    except GoogleError as exc:
        return _refused(f"{exc.explanation} {exc.fix} Nothing was saved.".strip(), 502)
    flash(f"Your Google account {acc.email} is connected: you can attach documents from your Drive to "
          "transactions now.", "success")
    return _back()


@bp.post("/google/disconnect")
@login_required
def disconnect():
    outcome = services.disconnect(current_actor(), ip=client_ip())
    if outcome is None:
        flash("No Google account was connected.", "info")
    elif outcome.reached_google:
        flash(f"Your Google account {outcome.email} is disconnected: Google revoked Wise-Sync's access and "
              "the tokens were deleted here.", "success")
    else:
        flash(f"Your Google account {outcome.email} is disconnected here, but Google could not be told "
              f"({outcome.problem}). Remove Wise-Sync at myaccount.google.com → Security → Third-party "
              "access to be sure.", "warning")
    return _back()
