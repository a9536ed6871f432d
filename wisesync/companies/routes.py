"""Companies: list, create, edit (account admins only, always within their account)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from wisesync.auth.access import admin_required, client_ip, get_scoped_or_404
from wisesync.companies import services
from wisesync.companies.forms import CompanyForm
from wisesync.companies.models import Company
from wisesync.forms_common import add_field_error, form_status
from wisesync.service_errors import FieldError

bp = Blueprint("companies", __name__)


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
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = services.create_company(
                current_user.account_id, name=form.name.data,
                sales_tax_code=form.sales_tax_code.data,
                purchase_tax_code=form.purchase_tax_code.data, actor=current_user, ip=client_ip())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"Company {company.name!r} added. Admins can sync it now; tick it on the page "
                  "of each user who should sync it.", "success")
            return redirect(url_for("companies.index"))
    return (render_template("companies/form.html", form=form, company=None),
            form_status(form))


@bp.route("/<int:company_id>", methods=["GET", "POST"])
@admin_required
def edit(company_id: int):
    company = get_scoped_or_404(Company, company_id)
    form = CompanyForm(obj=company)
    if form.validate_on_submit():
        try:
            changes = services.update_company(
                company, name=form.name.data, sales_tax_code=form.sales_tax_code.data,
                purchase_tax_code=form.purchase_tax_code.data, actor=current_user, ip=client_ip())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"Company {company.name!r} saved." if changes else "Nothing changed.",
                  "success" if changes else "info")
            return redirect(url_for("companies.index"))
    return (render_template("companies/form.html", form=form, company=company,
                            granted_users=services.users_granted(company)),
            form_status(form))
