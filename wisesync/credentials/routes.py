"""Per-user PSA sections: save and test ConnectWise Member, ConnectWise API Member, Autotask user.

URLs (DESIGN §6), under ``/users``: ``POST /<id>/<kind>`` saves (``GET`` is the no-JS page with
that form alone), ``POST /<id>/<kind>/test`` runs the connectivity test and redirects (303,
POST/redirect/GET) back to the section it was started from — the user page's PSA credentials
tab for admins, ``GET /<id>/psa`` for a ``user`` — where the stored result shows as
**Connected**/**Not connected** + checklist; Back and Reload never re-run or refuse it.
``GET /<id>/psa`` shows the sections (the place where a ``user`` manages their own). Admins manage every user of their
account, a ``user`` only themselves (403 otherwise); other accounts' ids and the other PSA
type's URLs are 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from wisesync.auth.access import client_ip, current_actor, get_scoped_or_404
from wisesync.credentials import connectivity, services
from wisesync.credentials.forms import ApiMemberForm, AutotaskForm, MemberForm, TestForm
from wisesync.credentials.models import KINDS
from wisesync.forms_common import add_field_error, form_status
from wisesync.service_errors import FieldError
from wisesync.users.models import User
from wisesync.users.sections import register_section

bp = Blueprint("credentials", __name__)

NOT_YOURS = ("You can only set and test your own PSA credentials; ask your account administrator "
             "to change someone else's.")

# kind → (form class, endpoint name, template of its section, order on the user page)
SECTIONS = {
    "connectwise": (MemberForm, "connectwise", "credentials/_connectwise.html", 10),
    "connectwise-api": (ApiMemberForm, "connectwise_api", "credentials/_connectwise_api.html", 20),
    "autotask": (AutotaskForm, "autotask", "credentials/_autotask.html", 30),
}
TEST_LABELS = {
    "connectwise": "Test ConnectWise Connectivity",
    "connectwise-api": "Test ConnectWise REST Connectivity",
    "autotask": "Test Autotask Connectivity",
}
REVEAL_LABELS = {
    "connectwise": ("Set member password", "Change member password"),
    "connectwise-api": ("Set private key", "Change private key"),
    "autotask": ("Set Autotask password", "Change Autotask password"),
}



def _target(user_id: int, kind: str | None = None) -> User:
    user = get_scoped_or_404(User, user_id)
    if kind is not None and not services.applies(user.account, kind):
        abort(404)  # that PSA's section does not exist for this account
    if not services.may_manage(current_user, user):
        abort(403, description=NOT_YOURS)
    return user


def _prefill(state: dict) -> dict:
    """Public values only: a secret is never put back into a form."""
    return {"connectwise": {"cw_member_id": state["login"]},
            "connectwise-api": {"cw_public_key": state["login"], "cw_is_primary": state["is_primary"]},
            "autotask": {"at_username": state["login"]}}[state["kind"]]


def section_view(user: User, kind: str, form=None) -> dict:
    """The view-model one section template renders (no queries in templates)."""
    state = services.view_state(user, kind)
    form_class, endpoint, _template, _order = SECTIONS[kind]
    set_label, change_label = REVEAL_LABELS[kind]
    has_integrations = "integrations.index" in current_app.view_functions
    return {
        **state,
        "anchor": f"psa-{kind}",
        "reveal_id": f"psa-{kind}-form",
        "reveal_label": change_label if state["secret_set"] else set_label,
        "form": form if form is not None else form_class(formdata=None, data=_prefill(state)),
        "test_label": TEST_LABELS[kind],
        "save_url": url_for(f"credentials.{endpoint}", user_id=user.id),
        "test_url": url_for(f"credentials.{endpoint}_test", user_id=user.id),
        "settings_url": url_for("integrations.index") if has_integrations else None,
        "is_admin_viewer": bool(current_user.is_admin),
        "just_tested": request.args.get("tested") == kind,
        "tab": "psa",
    }


def _section_context(kind: str):
    def context(user, viewer):
        if not services.applies(user.account, kind) or not services.may_manage(viewer, user):
            return None
        return section_view(user, kind)

    return context


def _back(user: User, kind: str, form=None, **args) -> str:
    """The section on the page the form was on: the user page for admins (unless the form says
    ``back=psa``), the PSA page for everyone else."""
    on_psa_page = form is not None and form.back.data == "psa"
    endpoint = "users.edit" if current_user.is_admin and not on_psa_page else "credentials.page"
    return url_for(endpoint, user_id=user.id, _anchor=f"psa-{kind}", **args)


def _sections(user: User) -> list[tuple[str, dict]]:
    return [(SECTIONS[kind][2], {**section_view(user, kind), "back": "psa"})
            for kind in SECTIONS if services.applies(user.account, kind)]


@bp.get("/<int:user_id>/psa")
@login_required
def page(user_id: int):
    """The user's PSA sections on their own page (a ``user`` has no access to the edit page)."""
    user = _target(user_id)
    return render_template("credentials/page.html", user=user, sections=_sections(user))


def _save(kind: str, user_id: int, values):
    user = _target(user_id, kind)
    form = SECTIONS[kind][0](data=_prefill(services.view_state(user, kind)))
    if form.validate_on_submit():
        try:
            changed = values(user, form)
        except FieldError as exc:
            add_field_error(form, exc)
        else:
            title = KINDS[kind][0]
            if changed:  # field names only, never a value
                flash(f"Saved the {title} of {user.full_name}: {', '.join(changed)}.", "success")
            else:
                flash(f"Nothing changed in the {title} of {user.full_name}.", "info")
            return redirect(_back(user, kind, form))
    return render_template("credentials/form.html", user=user, section=section_view(user, kind, form),
                           back_url=_back(user, kind, form)), form_status(form)


def _test(kind: str, user_id: int):
    user = _target(user_id, kind)
    form = TestForm()
    if not form.validate_on_submit():
        abort(400)
    connectivity.run_connection_test(user, kind, actor=current_actor(), ip=client_ip())
    # POST/redirect/GET: the stored result is drawn in its section; ``tested`` marks that section.
    return redirect(_back(user, kind, form, tested=kind), code=303)


@bp.route("/<int:user_id>/connectwise", methods=["GET", "POST"])
@login_required
def connectwise(user_id: int):
    return _save("connectwise", user_id, lambda user, form: services.save_member(
        user, member_id=form.cw_member_id.data, password=form.cw_member_password.data,
        actor=current_actor(), ip=client_ip()))


@bp.route("/<int:user_id>/connectwise-api", methods=["GET", "POST"])
@login_required
def connectwise_api(user_id: int):
    return _save("connectwise-api", user_id, lambda user, form: services.save_api_member(
        user, public_key=form.cw_public_key.data, private_key=form.cw_private_key.data,
        is_primary=form.cw_is_primary.data, actor=current_actor(), ip=client_ip()))


@bp.route("/<int:user_id>/autotask", methods=["GET", "POST"])
@login_required
def autotask(user_id: int):
    return _save("autotask", user_id, lambda user, form: services.save_autotask(
        user, username=form.at_username.data, password=form.at_password.data,
        actor=current_actor(), ip=client_ip()))


@bp.post("/<int:user_id>/connectwise/test")
@login_required
def connectwise_test(user_id: int):
    return _test("connectwise", user_id)


@bp.post("/<int:user_id>/connectwise-api/test")
@login_required
def connectwise_api_test(user_id: int):
    return _test("connectwise-api", user_id)


@bp.post("/<int:user_id>/autotask/test")
@login_required
def autotask_test(user_id: int):
    return _test("autotask", user_id)


def register(app) -> None:
    """Called by the app factory (``OPTIONAL_BLUEPRINTS``): routes, user-page sections, CLI."""
    from wisesync.credentials.cli import register_cli

    app.register_blueprint(bp, url_prefix="/users")
    for kind, (_form, _endpoint, template, order) in SECTIONS.items():
        register_section(template, _section_context(kind), order=order)
    register_cli(app)
