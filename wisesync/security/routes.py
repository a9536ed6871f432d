"""Password reset, the 2FA step of login, account settings and the audit log.

QLink sessions skip the mailed code on purpose: a QLink is itself a 256-bit credential an
admin created for that user, it is opened inside ConnectWise (a login of its own), and a mail
round-trip inside an embedded frame would defeat what it is for. Revoke it, or disable the
user, to cut it off. Every password login goes through the code when the account requires it.
"""
from __future__ import annotations

from flask import (Blueprint, Flask, Response, abort, flash, redirect, render_template, request,
                   session, stream_with_context, url_for)
from flask_login import current_user, login_user, logout_user

from wisesync.auth.access import admin_required, client_ip, safe_next
from wisesync.auth.services import mark_logged_in
from wisesync.forms_common import add_field_error, form_status
from wisesync.modelbase import utcnow
from wisesync.security import audit_log, services, two_factor
from wisesync.security.forms import (AccountForm, AuditFilterForm, ResetPasswordForm, ResetRequestForm,
                                     VerifyForm)
from wisesync.security.limits import apply_limits
from wisesync.security.mail import mail_configured
from wisesync.service_errors import FieldError
from wisesync.urls import external_url

bp = Blueprint("security", __name__)

PENDING, PENDING_NEXT = "pending_login", "pending_login_next"
TOKEN_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    apply_limits(app)
    app.before_request(refuse_nul_characters)


def refuse_nul_characters():
    """No text in the portal may hold a NUL character, and PostgreSQL cannot store or compare
    one (it raises instead): refuse such a request with a 400 before any view sees it."""
    values = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400, description="The request contained a NUL character, which no field accepts. "
                               "Remove it and send the form again.")



# ---------------------------------------------------------------- password reset

@bp.route("/reset-password", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_reset(form.email.data, ip=client_ip(), link_for=lambda token: external_url(
            "security.reset_password", token=token))
        return render_template("security/reset_sent.html", email=form.email.data.strip())
    return render_template("security/reset_request.html", form=form), form_status(form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.check_reset_token(token)
    except services.ResetLinkInvalid as exc:
        return render_template("security/reset_invalid.html", message=str(exc)), 404, TOKEN_PAGE_HEADERS
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            _, qlink_revoked = services.reset_password(token, form.password.data, ip=client_ip())
        except services.ResetLinkInvalid as exc:
            return render_template("security/reset_invalid.html", message=str(exc)), 404, TOKEN_PAGE_HEADERS
        logout_user()
        session.clear()
        flash("Your password was changed and every session was logged out"
              + (", and your QLink was revoked (ask your account administrator for a new one)"
                 if qlink_revoked else "") + ". Log in with the new password.", "success")
        return redirect(url_for("auth.login"))
    from wisesync.qlink.services import qlink_for

    return (render_template("security/reset_password.html", form=form, user=user,
                            has_qlink=qlink_for(user) is not None), form_status(form),
            TOKEN_PAGE_HEADERS)


# ---------------------------------------------------------------- second factor

def begin_second_factor(user, next_url: str | None):
    """Called by the login view once the password is right and the account requires 2FA.

    Not logged in yet: the session only holds the id of this attempt."""
    try:
        session[PENDING] = two_factor.start_challenge(user, ip=client_ip())
    except two_factor.ChallengeFailed as exc:
        return _attempt_over(exc.message)
    session[PENDING_NEXT] = safe_next(next_url, url_for("auth.home"))
    return redirect(url_for("security.verify"))


def _attempt_over(message: str):
    two_factor.abandon_challenge(session.pop(PENDING, None))
    session.pop(PENDING_NEXT, None)
    flash(message, "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/verify", methods=["GET", "POST"])
def verify():
    try:
        user = two_factor.pending_user(session.get(PENDING))
    except two_factor.ChallengeFailed as exc:
        return _attempt_over(exc.message)
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            user = two_factor.verify_code(session.get(PENDING), form.code.data, ip=client_ip())
        except two_factor.ChallengeFailed as exc:
            if exc.dead:
                return _attempt_over(exc.message)
            form.code.errors = [exc.message]
        else:
            session.pop(PENDING, None)
            next_url = session.pop(PENDING_NEXT, None)
            login_user(user)
            mark_logged_in(user, ip=client_ip(), how="password + mailed code")
            return redirect(safe_next(next_url, url_for("auth.home")))
    return (render_template("security/verify.html", form=form, email=two_factor.mask_email(user.email)),
            form_status(form))


@bp.post("/login/verify/resend")
def verify_resend():
    try:
        two_factor.resend_code(session.get(PENDING), ip=client_ip())
    except two_factor.ChallengeFailed as exc:
        return _attempt_over(exc.message)
    except two_factor.ResendRefused as exc:
        flash(str(exc), "warning")
    else:
        flash("A new code is on its way. The previous code no longer works.", "info")
    return redirect(url_for("security.verify"))


# ---------------------------------------------------------------- account settings, audit

@bp.route("/account", methods=["GET", "POST"])
@admin_required
def account():
    acct = current_user.account
    form = AccountForm(data={"name": acct.name, "two_factor": acct.two_factor}
                       if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_account(acct, name=form.name.data, two_factor=form.two_factor.data,
                                    actor=current_user, ip=client_ip(), mail_configured=mail_configured())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash("Account settings saved.", "success")
            return redirect(url_for("security.account"))
    return (render_template("security/account.html", form=form, account=acct, mail_configured=mail_configured(),
                            no_mail=services.NO_MAIL_FOR_2FA), form_status(form))


def _audit_filters():
    """The filter form from the query string and the filter it gives, or a 400 page's answer."""
    form = AuditFilterForm(request.args)
    account_id = current_user.account_id
    if not form.validate():
        return form, None
    filters = audit_log.AuditFilter(action=form.action.data or "", person=form.person.data or "",
                                    user_id=form.user.data, since=form.since.data, until=form.until.data)
    if filters.user_id is not None and audit_log.person_name(account_id, filters.user_id) is None:
        abort(404)
    return form, filters


@bp.get("/audit")
@admin_required
def audit():
    form, filters = _audit_filters()
    if filters is None:
        return render_template("security/audit.html", form=form, page=None, filters=None, person=None,
                               label=audit_log.action_label), 400
    page = audit_log.audit_page(current_user.account_id, filters, page=request.args.get("page", 1, type=int))
    return render_template("security/audit.html", form=form, page=page, filters=filters,
                           person=audit_log.person_name(current_user.account_id, filters.user_id),
                           label=audit_log.action_label)


@bp.get("/audit.csv")
@admin_required
def audit_csv():
    """Every event the filters match, as CSV (streamed; cells that a spreadsheet would run as a
    formula start with a quote)."""
    form, filters = _audit_filters()
    if filters is None:
        errors = "; ".join(f"{form[name].label.text}: {' '.join(msgs)}" for name, msgs in form.errors.items())
        abort(400, description=f"The filters are not valid, so nothing was exported. {errors}")
    rows = audit_log.csv_rows(current_user.account_id, filters)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="wise-sync-audit-{stamp}.csv"'})
