"""User forms: shape only (required, lengths, email format, passwords match).

Uniqueness and the account's own companies are service rules (:mod:`wisesync.users.services`).
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from wisesync.forms_common import new_password_fields, strip
from wisesync.users.models import PAYMENT_LINK_KINDS, ROLE_LABELS

VALID_EMAIL = "Enter a valid email address, like name@example.com."
NOT_OUR_COMPANY = "Choose companies from this account's list."


class MultiCheckboxField(SelectMultipleField):
    """Ticks, one per choice (rendered by the ``field`` macro by this type name)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        allowed = {value for value, _label in (self.choices or [])}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(NOT_OUR_COMPANY)


class UserForm(FlaskForm):
    """The fields of the edit page; the routes fill ``companies.choices`` from the account."""

    role = RadioField("Role", choices=list(ROLE_LABELS.items()), default="user",
                      validators=[DataRequired("Choose a role.")])
    companies = MultiCheckboxField(
        "Companies this user may sync", coerce=int, choices=[],
        description="Account admins sync every company, also ones added later; "
                    "the ticks apply to the User role.")
    first_name = StringField("First name", filters=[strip], validators=[
        DataRequired("Enter a first name."), Length(max=80)],
        render_kw={"autocomplete": "off"})
    last_name = StringField("Last name", filters=[strip], validators=[
        DataRequired("Enter a last name."), Length(max=80)],
        render_kw={"autocomplete": "off"})
    email = EmailField("Email", filters=[strip], validators=[
        DataRequired("Enter an email address."), Email(VALID_EMAIL), Length(max=254)],
        render_kw={"autocomplete": "off"})
    username = StringField("Username", filters=[strip], validators=[
        Optional(), Email("The username must be an email address, like name@example.com."),
        Length(max=254)],
        description="An email address the user logs in with. Leave blank to use their email.",
        render_kw={"autocomplete": "off"})


class NewUserForm(UserForm):
    password, password_confirm = new_password_fields()


class PasswordForm(FlaskForm):
    """The "Change password" form an admin opens from the edit page."""

    password, password_confirm = new_password_fields()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.password.label.text = "New password"
        self.password_confirm.label.text = "Confirm new password"


class ConfirmForm(FlaskForm):
    """A POST with nothing but the CSRF token (disable, enable)."""


def company_choices(companies) -> list[tuple[int, str]]:
    return [(company.id, company.name) for company in companies]


class PaymentLinkForm(FlaskForm):
    """A new Wise-Pay link; the route fills ``owner.choices`` with the account's enabled users."""

    kind = SelectField("Kind", choices=list(PAYMENT_LINK_KINDS.items()),
                       validators=[DataRequired("Choose the kind of link.")])
    name = StringField("Name", filters=[strip], validators=[
        DataRequired("Enter a name people will recognise, like Invoice PayNow."),
        Length(max=120, message="The name is at most 120 characters.")])
    owner = SelectField("Owner", coerce=int, choices=[], validate_choice=False,
                        validators=[DataRequired("Choose the user the link belongs to.")],
                        description="The link works while this user is enabled; disabling them stops it.")
