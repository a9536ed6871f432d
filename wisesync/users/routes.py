"""Users: list, create, edit, change password, disable, enable (account admins only).

Each view builds its form, calls one service, flashes and redirects; rule failures come back
as :class:`FieldError` and re-render the form with HTTP 400.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from wisesync.auth.access import admin_required, client_ip, current_actor, get_scoped_or_404
from wisesync.companies.services import list_companies
from wisesync.forms_common import add_field_error, form_status
from wisesync.service_errors import FieldError
from wisesync.users import payment_links as payment_links_service
from wisesync.users import services
from wisesync.users.listing import list_users
from wisesync.users.forms import (ConfirmForm, NewUserForm, PasswordForm, PaymentLinkForm, UserForm,
                                  company_choices)
from wisesync.users.models import PaymentLink, User
from wisesync.users.sections import sections_for

bp = Blueprint("users", __name__)

# The user page's tabs after "Account", by the folder of the section template other features
# register (users.sections); a section of an unknown feature goes under "More".
TABS = {"credentials": ("psa", "PSA credentials"), "qlink": ("qlink", "QLink"), "google": ("google", "Google")}


def _tabs(sections: list[tuple[str, dict]]) -> list[dict]:
    """``[{"id", "label", "sections": [(template, ctx), ...]}]`` in the order sections come."""
    tabs: dict[str, dict] = {}
    for template, ctx in sections:
        tab_id, label = TABS.get(template.split("/", 1)[0], ("more", "More"))
        tabs.setdefault(tab_id, {"id": tab_id, "label": label, "sections": []})["sections"].append((template, ctx))
    return list(tabs.values())


def _profile(form) -> dict:
    return {"role": form.role.data, "company_ids": form.companies.data,
            "first_name": form.first_name.data, "last_name": form.last_name.data,
            "email": form.email.data, "username": form.username.data}


# strict_slashes=False: /users and /users/ both answer, without a redirect.
@bp.get("/", strict_slashes=False)
@admin_required
def index():
    q = request.args.get("q", "").strip()
    page = list_users(current_user.account_id, page=request.args.get("page", 1, type=int), q=q)
    return render_template("users/index.html", page=page, q=q)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    companies = list_companies(current_user.account_id)
    form = NewUserForm()
    form.companies.choices = company_choices(companies)
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user.account_id, password=form.password.data,
                                        actor=current_actor(), ip=client_ip(), **_profile(form))
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"{user.full_name} was created and can log in as {user.username}.", "success")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/new.html", form=form, companies=companies), form_status(form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = get_scoped_or_404(User, user_id)
    form = UserForm(data=services.form_data(user))
    form.companies.choices = company_choices(list_companies(current_user.account_id))
    if form.validate_on_submit():
        try:
            changes = services.update_user(user, actor=current_actor(), ip=client_ip(), **_profile(form))
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"{user.full_name} was saved." if changes else "Nothing changed.",
                  "success" if changes else "info")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template(
        "users/edit.html", user=user, form=form, password_form=PasswordForm(formdata=None),
        links=services.active_payment_links(user),
        cannot_disable=services.why_not_disable(user, current_actor()),
        tabs=_tabs(sections_for(user, current_user))), form_status(form)


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@admin_required
def password(user_id: int):
    """The "Change password" form: revealed on the edit page, or on its own page without JS."""
    user = get_scoped_or_404(User, user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        services.change_password(user, form.password.data, actor=current_actor(), ip=client_ip())
        if user.id == current_user.id:
            login_user(user)  # the new session version, so this session carries on
        flash(f"The password of {user.full_name} was changed; their other sessions were logged out.",
              "success")
        return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/password.html", user=user, form=form), form_status(form)


@bp.route("/<int:user_id>/disable", methods=["GET", "POST"])
@admin_required
def disable(user_id: int):
    """GET shows which Wise-Pay links will stop working; POST disables."""
    user = get_scoped_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            links = services.disable_user(user, actor=current_actor(), ip=client_ip())
        except FieldError as exc:
            form.form_errors.append(exc.message)
        else:
            stopped = (f"; {len(links)} Wise-Pay link stopped working." if len(links) == 1 else
                       f"; {len(links)} Wise-Pay links stopped working." if links else ".")
            flash(f"{user.full_name} is disabled and was logged out{stopped}", "success")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/disable.html", user=user, form=form,
                           links=services.active_payment_links(user),
                           problem=services.why_not_disable(user, current_actor())), form_status(form)


@bp.post("/<int:user_id>/enable")
@admin_required
def enable(user_id: int):
    user = get_scoped_or_404(User, user_id)
    if services.enable_user(user, actor=current_actor(), ip=client_ip()):
        flash(f"{user.full_name} is enabled and can log in again. Wise-Pay links that stopped when "
              "they were disabled stay inactive: configure a new link.", "success")
    else:
        flash(f"{user.full_name} was already enabled.", "info")
    return redirect(url_for("users.edit", user_id=user.id))


# -- Wise-Pay links ------------------------------------------------------------------------------

@bp.route("/wise-pay-links", methods=["GET", "POST"])
@admin_required
def payment_links():
    """The account's Wise-Pay links, and the form that adds one."""
    form = PaymentLinkForm()
    form.owner.choices = payment_links_service.owner_choices(current_user.account_id)
    if form.validate_on_submit():
        try:
            link = payment_links_service.create_link(current_user.account_id, kind=form.kind.data,
                                                     name=form.name.data, owner_id=form.owner.data,
                                                     actor=current_actor(), ip=client_ip())
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            flash(f"{link.kind_label} {link.name!r} of {link.owner.full_name} is active. Disabling "
                  f"{link.owner.first_name} would stop it.", "success")
            return redirect(url_for("users.payment_links"), 303)
    page = payment_links_service.links_page(current_user.account_id, request.args.get("page", 1, type=int))
    return (render_template("users/payment_links.html", form=form, page=page, button=ConfirmForm(formdata=None)),
            form_status(form))


@bp.post("/wise-pay-links/<int:link_id>/deactivate")
@admin_required
def payment_link_deactivate(link_id: int):
    link = get_scoped_or_404(PaymentLink, link_id)
    if payment_links_service.deactivate_link(link, actor=current_actor(), ip=client_ip()):
        flash(f"{link.kind_label} {link.name!r} of {link.owner.full_name} was deactivated and stopped working.",
              "success")
    else:
        flash(f"{link.kind_label} {link.name!r} was already inactive.", "info")
    return redirect(url_for("users.payment_links"), 303)
