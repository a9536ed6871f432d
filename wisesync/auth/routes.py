"""First-run setup, login, logout, the home page, the own profile and the health check."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import text

from wisesync.auth import services
from wisesync.auth.home import home_for, unposted_counts
from wisesync.auth.access import client_ip, current_actor, safe_next
from wisesync.auth.forms import LoginForm, OwnPasswordForm, SetupForm
from wisesync.extensions import db
from wisesync.forms_common import add_field_error, form_status
from wisesync.service_errors import FieldError

bp = Blueprint("auth", __name__)


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
def home():
    if services.needs_setup():
        return redirect(url_for("auth.setup"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/home.html", home=home_for(current_actor()))


@bp.get("/home/unposted")
@login_required
def home_unposted():
    """The home page's unposted counts per company (JSON), read from ConnectWise after the page
    is shown; ``?fresh=1`` counts again instead of reusing the last couple of minutes' counts."""
    return jsonify(unposted_counts(current_actor(), fresh=request.args.get("fresh") == "1"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not services.needs_setup():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = services.create_account_with_admin(
                account_name=form.account_name.data, psa_type=form.psa_type.data,
                first_name=form.first_name.data, last_name=form.last_name.data,
                email=form.email.data, password=form.password.data, ip=client_ip())
        except services.SetupFinished:
            abort(404)  # a concurrent first run won: this one sees a finished setup
        else:
            login_user(user)
            services.mark_logged_in(user, ip=client_ip(), how="setup")
            flash("Wise-Sync is set up. Next: add your accounting companies.", "success")
            return redirect(url_for("companies.index"))
    return render_template("auth/setup.html", form=form), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if services.needs_setup():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, ip=client_ip())
        except services.LoginFailed as exc:
            form.form_errors.append(str(exc))
        else:
            return complete_login(user, request.args.get("next"))
    return render_template("auth/login.html", form=form), form_status(form)


def complete_login(user, next_url: str | None):
    """The password step passed: start the session, or the mailed-code step when the account
    requires two-factor login (then nobody is logged in until the code is right)."""
    logout_user()
    from wisesync.security import routes as security  # the 2FA step lives with account security
    from wisesync.security.two_factor import two_factor_required

    if two_factor_required(user):
        return security.begin_second_factor(user, next_url)
    login_user(user)
    services.mark_logged_in(user, ip=client_ip())
    return redirect(safe_next(next_url, url_for("auth.home")))


@bp.post("/logout")
def logout():
    """Logging out ends every session of the user (other browsers, QLink frames) too."""
    if current_user.is_authenticated:
        services.end_all_sessions(current_actor(), ip=client_ip())
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current_password.data,
                                         form.password.data, ip=client_ip())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            login_user(current_actor())  # new session version
            flash("Your password was changed. Other sessions were logged out.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form), form_status(form)
