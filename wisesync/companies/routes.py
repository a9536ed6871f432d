"""Companies: list, create, edit with their accounting settings, and their Xero connection
(account admins only, always within their account; a ``user`` gets 403 everywhere here).

A company page POST that fails its checks answers 400 with the messages next to the fields;
a Xero Test that ran answers 200 with Connected / Not connected and the checklist — Xero
refusing something is a result, not bad input.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, g, redirect, render_template, url_for)
from flask_login import current_user

from wisesync.auth.access import admin_required, client_ip, current_actor, get_scoped_or_404
from wisesync.companies import services, xero
from wisesync.companies.forms import TAX_FIELDS, TenantForm, company_form
from wisesync.companies.models import Company
from wisesync.companies.xero_routes import bp as callback_bp
from wisesync.companies.xero_routes import linked_message, redirect_uri, start_flow
from wisesync.forms_common import add_field_error, form_status
from wisesync.psa.report import ConnectionReport
from wisesync.service_errors import FieldError

bp = Blueprint("companies", __name__)
# GET /xero/callback lives outside /companies (it is the one URL registered with Xero).
bp.record_once(lambda state: state.app.register_blueprint(callback_bp))


@bp.after_app_request
def allow_xero_form_action(response):
    """A page with the Connect Xero button lets its form lead to Xero's sign-in page: browsers
    apply CSP ``form-action`` to the redirect a form POST answers with, too."""
    from wisesync.web import widen_form_action

    return widen_form_action(response, g.pop("xero_form_action", None))


def _terms():
    """ConnectWise billing locations or Autotask organisational levels (None: neither)."""
    return services.LOCATION_TERMS.get(current_user.account.psa_type)


def _uses_locations() -> bool:
    return _terms() is not None


def _locations() -> list[tuple[int, str]]:
    from wisesync.psadata import list_locations

    return list_locations(current_user.account_id) if _uses_locations() else []


def _form(company: Company | None, conn=None, formdata=...):
    rates = conn.active_tax_rates() if conn is not None and conn.bound and conn.tax_rates is not None else None
    return company_form(company, locations=_locations(), active_rates=rates, terms=_terms(),
                        org_name=conn.tenant_name if conn is not None else "", formdata=formdata)


def _values(form) -> dict:
    values = {name: getattr(form, name).data or "" for name in TAX_FIELDS}
    values.update(name=form.name.data, document_status=form.document_status.data,
                  sync_schedule=form.sync_schedule.data, rounding_account=form.rounding_account.data)
    if _uses_locations():
        values["psa_locations"] = form.psa_locations.data or []
    return values


def _page(company: Company | None, form, status: int = 200, report: ConnectionReport | None = None):
    conn = xero.connection_for(company) if company is not None else None
    configured = xero.xero_configured()
    if company is not None and configured:
        g.xero_form_action = _origin(current_app.config["WISESYNC_XERO_AUTHORIZE_URL"])
    if report is None and conn is not None and conn.last_test:
        report = ConnectionReport.from_dict(conn.last_test)
    catch_alls = services.catch_all_companies(current_user.account_id) if _uses_locations() else []
    return render_template(
        "companies/form.html", form=form, company=company, conn=conn, report=report,
        tested_at=conn.last_tested_at if conn is not None else None,
        uses_locations=_uses_locations(), terms=_terms(), locations_pulled=bool(form.psa_locations.choices),
        catch_alls=catch_alls if len(catch_alls) > 1 else [],
        xero_configured=configured, redirect_uri=redirect_uri(), register_url=xero.REGISTER_URL,
        granted_users=services.users_granted(company) if company is not None else [],
        delete_blockers=services.delete_blockers(company) if company is not None else []), status


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# strict_slashes=False: /companies and /companies/ both answer, without a redirect.
@bp.get("/", strict_slashes=False)
@admin_required
def index():
    account_id = current_user.account_id
    return render_template("companies/index.html", companies=services.list_companies(account_id),
                           granted=services.granted_user_counts(account_id))


# DESIGN §6 lists POST /companies too: it creates, exactly like POST /companies/new.
@bp.post("/", strict_slashes=False, endpoint="create")
@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    form = _form(None)
    if form.validate_on_submit():
        try:
            company = services.create_company(current_user.account_id, **_values(form),
                                              actor=current_actor(), ip=client_ip())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"Company {company.name!r} added. Admins can sync it now; tick it on the page "
                  "of each user who should sync it. Connect it to Xero on its page.", "success")
            return redirect(url_for("companies.index"))
    return _page(None, form, form_status(form))


@bp.route("/<int:company_id>", methods=["GET", "POST"])
@admin_required
def edit(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    form = _form(company, xero.connection_for(company))
    if form.validate_on_submit():
        try:
            changes = services.update_company(company, **_values(form), actor=current_actor(), ip=client_ip())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"Company {company.name!r} saved." if changes else "Nothing changed.",
                  "success" if changes else "info")
            return redirect(url_for("companies.edit", company_id=company.id))
    return _page(company, form, form_status(form))


@bp.post("/<int:company_id>/delete")
@admin_required
def delete(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    name = company.name
    try:
        services.delete_company(company, actor=current_actor(), ip=client_ip())
    except services.CompanyInUse as exc:
        flash(str(exc), "error")
        return _page(company, _form(company, xero.connection_for(company), formdata=None), 409)
    flash(f"Company {name!r} deleted.", "success")
    return redirect(url_for("companies.index"), 303)


# -- Xero ---------------------------------------------------------------------------------------

@bp.post("/<int:company_id>/xero/connect")
@admin_required
def xero_connect(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    if not xero.xero_configured():
        flash("Connecting Xero needs this server's own Xero app first: see the steps in the Xero "
              "section below.", "error")
        return redirect(url_for("companies.edit", company_id=company.id), 303)
    state, verifier = start_flow(company)
    url = xero.authorization_url(redirect_uri(), state, verifier)
    xero.connect_started(company, actor=current_actor(), ip=client_ip())
    return redirect(url, 303)


@bp.route("/<int:company_id>/xero/tenant", methods=["GET", "POST"])
@admin_required
def xero_tenant(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    choices = xero.pending_choices(company)
    if not choices:
        flash("There is no Xero organisation to choose for this company: connect Xero to pick one.", "info")
        return redirect(url_for("companies.edit", company_id=company.id), 303)
    form = TenantForm()
    form.tenant_id.choices = [(c["tenant_id"], c["tenant_name"]) for c in choices]
    if form.validate_on_submit():
        try:
            outcome = xero.choose_tenant(company, form.tenant_id.data, actor=current_actor(), ip=client_ip())
        except xero.XeroConnectRefused as exc:
            form.tenant_id.errors = [*form.tenant_id.errors, exc.message]
        else:
            flash(linked_message(company, outcome), "success")
            return redirect(url_for("companies.edit", company_id=company.id), 303)
    return (render_template("companies/xero_tenant.html", company=company, form=form, choices=choices),
            form_status(form))


@bp.post("/<int:company_id>/xero/test")
@admin_required
def xero_test(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    report = xero.test_connection(company, actor=current_actor(), ip=client_ip())
    conn = xero.connection_for(company)
    return _page(company, _form(company, conn, formdata=None), report=report)


@bp.post("/<int:company_id>/xero/disconnect")
@admin_required
def xero_disconnect(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    outcome = xero.disconnect(company, actor=current_actor(), ip=client_ip())
    if outcome is None:
        flash("This company was not connected to Xero.", "info")
    elif outcome.reached_xero:
        flash(f"Disconnected from {outcome.tenant_name}: Xero revoked Wise-Sync's access and the "
              "stored tokens were deleted.", "success")
    else:
        flash(f"Disconnected from {outcome.tenant_name} here: the stored tokens were deleted, but Xero "
              f"could not be reached to revoke the access ({outcome.problem}). To finish, remove "
              "Wise-Sync under Settings → Connected apps in Xero.", "warning")
    return redirect(url_for("companies.edit", company_id=company.id), 303)
