"""QLink pages: generate/revoke (admins), the account QLink, login by QLink, the password step.

Throttling of ``/q/``, ``/a/`` and the password step is applied by ``wisesync.security.limits``
(by endpoint, at registration), so it is not repeated here.

Opening a QLink inside ConnectWise's frame is a third-party context where the browser may
refuse our cookie. A framed open that arrives without any session cookie first sets a probe
value and redirects to itself with ``?probe=1``: if the cookie comes back the login goes on,
otherwise the person gets "Open Wise-Sync in a new window" instead of a login loop.
"""
from __future__ import annotations

from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template,
                   request, session, url_for)
from flask_login import confirm_login, current_user, login_required, login_user

from wisesync.auth.access import admin_required, client_ip, current_actor, get_scoped_or_404, safe_next
from wisesync.auth.forms import LoginForm
from wisesync.extensions import login_manager
from wisesync.forms_common import add_field_error, form_status
from wisesync.qlink import services
from wisesync.qlink.forms import ButtonForm, ReauthForm
from wisesync.qlink.policy import init_policy, mark_qlink_session, mark_reauthenticated
from wisesync.service_errors import FieldError
from wisesync.users.models import User
from wisesync.urls import external_url
from wisesync.users.sections import register_section

bp = Blueprint("qlink", __name__)

# Responses whose URL carries a token: never cached, never sent on as a Referer.
TOKEN_ENDPOINTS = {"qlink.use", "qlink.open_account", "qlink.generate", "qlink.generate_account"}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    init_policy(app)
    register_section("qlink/_section.html", section_context, order=50)
    if login_manager.refresh_view is None:
        # flask_login's fresh_login_required lands here too; a QLink session is never fresh.
        login_manager.refresh_view = "qlink.reauth"


def section_context(user: User, viewer) -> dict | None:
    """The QLink card on the user page (ConnectWise accounts only)."""
    if not services.qlinks_available(user.account):
        return None
    return {"link": services.qlink_for(user), "form": ButtonForm(formdata=None),
            "can_manage": viewer.is_admin and viewer.account_id == user.account_id,
            "has_account_link": services.account_qlink_for(user.account_id) is not None}


@bp.after_request
def token_pages_are_private(response):
    if request.endpoint in TOKEN_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response



def _require_qlinks() -> None:
    if not services.qlinks_available(current_user.account):
        abort(404)


# --- admins: generate, revoke, overview -----------------------------------------------------

@bp.post("/users/<int:user_id>/qlink")
@admin_required
def generate(user_id: int):
    """Generate (or replace) the user's QLink and show it, once, on this very response."""
    _require_qlinks()
    user = get_scoped_or_404(User, user_id)
    if not user.enabled:
        flash(f"{user.full_name} is disabled; enable them before generating a QLink.", "error")
        return redirect(url_for("users.edit", user_id=user.id, _anchor="qlink"))
    token = services.generate_qlink(user, actor=current_actor(), ip=client_ip())
    return render_template("qlink/generated.html", kind="user", user=user,
                           url=external_url("qlink.use", token=token))


@bp.post("/users/<int:user_id>/qlink/revoke")
@admin_required
def revoke(user_id: int):
    _require_qlinks()
    user = get_scoped_or_404(User, user_id)
    if services.revoke_qlink(user, actor=current_actor(), ip=client_ip()):
        flash(f"The QLink of {user.full_name} was revoked and stopped working.", "success")
    else:
        flash(f"{user.full_name} had no QLink.", "info")
    return redirect(url_for("users.edit", user_id=user.id, _anchor="qlink"))


@bp.get("/qlinks")
@admin_required
def admin():
    _require_qlinks()
    return render_template("qlink/admin.html", form=ButtonForm(formdata=None),
                           account_link=services.account_qlink_for(current_user.account_id),
                           links=services.qlinks_in_account(current_user.account_id))


@bp.post("/account/qlink")
@admin_required
def generate_account():
    _require_qlinks()
    token = services.generate_account_qlink(current_user.account, actor=current_actor(), ip=client_ip())
    return render_template("qlink/generated.html", kind="account", user=None,
                           url=external_url("qlink.open_account", token=token))


@bp.post("/account/qlink/revoke")
@admin_required
def revoke_account():
    _require_qlinks()
    if services.revoke_account_qlink(current_user.account, actor=current_actor(), ip=client_ip()):
        flash("The account QLink was revoked and stopped working.", "success")
    else:
        flash("There was no account QLink.", "info")
    return redirect(url_for("qlink.admin"))


# --- opening a QLink --------------------------------------------------------------------------

def _framed() -> bool:
    return request.headers.get("Sec-Fetch-Dest") in ("iframe", "frame")


def _must_probe_cookie() -> bool:
    """Framed and no session cookie came with the request: we cannot tell yet if one would."""
    return _framed() and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies


def _probe_or_refused(endpoint: str, token: str):
    if request.args.get("probe") is None:
        session["cookie_probe"] = True
        return redirect(url_for(endpoint, token=token, probe=1), 303)
    # The probe cookie did not come back: this browser refuses our cookie in the frame.
    return render_template("qlink/open_in_new_window.html",
                           url=external_url(endpoint, token=token))


@bp.get("/q/<token>")
def use(token: str):
    """Log in by QLink: a fresh session, marked as a QLink session, then 303 to a clean URL."""
    probing = _must_probe_cookie()
    user = services.use_qlink(token, ip=client_ip(), framed=_framed(), record_use=not probing)
    if user is None:
        abort(404)  # unknown, revoked, disabled, wrong account type: all look the same
    if probing:
        return _probe_or_refused("qlink.use", token)
    session.clear()
    login_user(user, fresh=False)
    mark_qlink_session(user, services.qlink_marker(user))
    if _framed():
        session["embedded"] = True
    return redirect(url_for("auth.home"), 303)


@bp.get("/a/<token>")
def open_account(token: str):
    """The account QLink: the account's login page, in embedded mode."""
    probing = _must_probe_cookie()
    account = services.use_account_qlink(token, ip=client_ip(), framed=_framed(),
                                         record_use=not probing)
    if account is None:
        abort(404)
    if probing:
        return _probe_or_refused("qlink.open_account", token)
    if current_user.is_authenticated and current_user.account_id == account.id:
        return redirect(url_for("auth.home"), 303)
    session.clear()
    session["embedded"] = True
    session["embedded_account"] = account.id
    return redirect(url_for("qlink.embedded_login"), 303)


@bp.get("/embedded/login")
def embedded_login():
    """The login page an account QLink opens. The form posts to the ordinary login."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    account = services.account_by_id(session.get("embedded_account"))
    if account is None:
        return redirect(url_for("auth.login"))
    return render_template("qlink/embedded_login.html", form=LoginForm(), account=account)


# --- the password step of a QLink session ------------------------------------------------------

@bp.route("/reauth", methods=["GET", "POST"])
@login_required
def reauth():
    form = ReauthForm()
    next_url = safe_next(request.args.get("next"), url_for("auth.home"))
    if form.validate_on_submit():
        if services.confirm_password(current_actor(), form.password.data, ip=client_ip()):
            mark_reauthenticated()
            confirm_login()
            return redirect(next_url)
        add_field_error(form, FieldError("password", "That is not your password."))
    return (render_template("qlink/reauth.html", form=form, next_url=next_url),
            form_status(form))
