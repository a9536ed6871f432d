"""Integration Settings (admins): the account's PSA section, Test and Save, and pulls.

Status codes: a form that fails its shape checks (or a service FieldError) answers 400 with
the messages next to the fields; a test that ran answers 200 with Connected / Not connected
and the checklist — a PSA refusing the values is a result, not bad input.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from wisesync.auth.access import admin_required, client_ip
from wisesync.forms_common import add_field_error
from wisesync.integrations import services
from wisesync.integrations.forms import AutotaskSettingsForm, ConnectWiseSettingsForm
from wisesync.integrations.last_test import last_test
from wisesync.psadata import runs as pulls
from wisesync.psa.connectwise_common import CLOUD_SITES
from wisesync.service_errors import FieldError

bp = Blueprint("integrations", __name__)


def register(app) -> None:
    app.register_blueprint(bp, url_prefix="/integrations")


def _forms(settings):
    """Both forms filled from the saved settings (secrets are never filled in)."""
    cw, at = ConnectWiseSettingsForm(formdata=None), AutotaskSettingsForm(formdata=None)
    if settings is not None:
        cw.process(formdata=None, obj=settings)
        at.process(formdata=None, obj=settings)
        site = (settings.cw_site or "").lower()
        cw.cw_region.data = site if site in CLOUD_SITES else ("self" if site else "na")
        if site in CLOUD_SITES:
            cw.cw_site.data = ""
    else:
        cw.cw_region.data = "na"
    return cw, at


def _page(status: int = 200, *, cw_form=None, at_form=None, outcome=None):
    """The page. The test result shown is the one just run (``outcome``), else the stored one
    with whether it is of the saved settings (``last``: a failed test of other values, or a
    form error after one, must not pass for the saved settings' result)."""
    account = current_user.account
    settings = services.get_settings(account.id)
    cw, at = _forms(settings)
    last = None if outcome else last_test(settings, account.psa_type)
    return render_template("integrations/index.html", account=account, settings=settings,
                           cw_form=cw_form or cw, at_form=at_form or at, outcome=outcome,
                           report=outcome.report if outcome else (last["report"] if last else None),
                           last=last, run=pulls.latest_run(account.id),
                           history=pulls.recent_runs(account.id), run_state=pulls.state_line), status


@bp.get("/", strict_slashes=False)
@admin_required
def index():
    return _page()


@bp.post("/connectwise")
@admin_required
def connectwise():
    if current_user.account.psa_type != "connectwise":
        abort(404)
    form = ConnectWiseSettingsForm()
    if not form.validate_on_submit():
        return _page(400, cw_form=form)
    try:
        outcome = services.test_and_save_connectwise(
            current_user.account, company_id=form.cw_company_id.data, site=form.site,
            public_key=form.cw_public_key.data, private_key=form.cw_private_key.data or "",
            client_id=form.cw_client_id.data, save_anyway=form.save_anyway.data,
            actor=current_user, ip=client_ip())
    except FieldError as exc:
        add_field_error(form, exc)
        return _page(400, cw_form=form)
    return _page(cw_form=form, outcome=outcome)


@bp.post("/autotask")
@admin_required
def autotask():
    if current_user.account.psa_type != "autotask":
        abort(404)
    form = AutotaskSettingsForm()
    if not form.validate_on_submit():
        return _page(400, at_form=form)
    try:
        outcome = services.test_and_save_autotask(
            current_user.account, username=form.at_username.data, secret=form.at_secret.data or "",
            integration_code=form.at_integration_code.data, zone_url=form.at_zone_url.data or "",
            save_anyway=form.save_anyway.data, actor=current_user, ip=client_ip())
    except FieldError as exc:
        add_field_error(form, exc)
        return _page(400, at_form=form)
    return _page(at_form=form, outcome=outcome)


@bp.post("/sync")
@admin_required
def sync():
    try:
        run, started = services.start_manual_pull(current_user.account, actor=current_user, ip=client_ip(),
                                                  full=request.form.get("full") == "1")
    except FieldError as exc:
        flash(exc.message, "error")
        return redirect(url_for("integrations.index"))
    if not started:
        flash("A pull is already running; here is its progress.", "info")
    return redirect(url_for("integrations.sync_status", run_id=run.id))


@bp.get("/sync/<int:run_id>")
@admin_required
def sync_status(run_id: int):
    run = pulls.get_run(current_user.account_id, run_id) or abort(404)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify(pulls.progress(run))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("integrations/sync.html", run=run, progress=pulls.progress(run))
