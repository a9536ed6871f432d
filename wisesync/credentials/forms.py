"""Shape checks for the three credential forms; rules (primary uniqueness) live in services.

Secret fields are ``PasswordField``s (never echoed back) with the password-manager ignore
hints; an empty secret means "keep the stored one", so the length and match rules only apply
to a value that was actually typed.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import Email, Length, Optional, ValidationError

from wisesync.forms_common import SECRET_FIELD_ATTRS, SecretField, min_password_length, strip

KEEP = "Leave blank to keep the current value."
# Public values sit next to secrets in the same small form: keep managers off them too.
PUBLIC_FIELD_ATTRS = {"autocomplete": "off", "data-lpignore": "true", "data-1p-ignore": "true",
                      "data-form-type": "other", "spellcheck": "false"}


def matches(other: str, message: str):
    """Confirmation rule for optional secrets: both blank is fine, otherwise they must match."""

    def check(form, field) -> None:
        if (field.data or "") != (form[other].data or ""):
            raise ValidationError(message)

    return check


class MemberForm(FlaskForm):
    """ConnectWise Member: ``POST /users/<id>/connectwise``."""

    cw_member_id = StringField("Member ID", filters=[strip],
                               validators=[Optional(), Length(max=100, message="At most 100 characters.")],
                               render_kw=PUBLIC_FIELD_ATTRS,
                               description="The ConnectWise username of the member, e.g. jsmith.")
    cw_member_password = SecretField("Member password", validators=[min_password_length, Length(max=200)],
                                       render_kw=SECRET_FIELD_ATTRS, description=KEEP)
    cw_member_password_confirm = SecretField(
        "Confirm member password", render_kw=SECRET_FIELD_ATTRS,
        validators=[matches("cw_member_password", "The two member passwords do not match.")])


class ApiMemberForm(FlaskForm):
    """ConnectWise API Member: ``POST /users/<id>/connectwise-api``."""

    cw_public_key = StringField("API public key", filters=[strip],
                                validators=[Optional(), Length(max=120, message="At most 120 characters.")],
                                render_kw=PUBLIC_FIELD_ATTRS)
    cw_private_key = SecretField("API private key", validators=[Length(max=200)],
                                   render_kw=SECRET_FIELD_ATTRS, description=KEEP)
    cw_is_primary = BooleanField("Is primary API account",
                                 description="At most one per account; ticking it here clears it on the other user.")


class AutotaskForm(FlaskForm):
    """Autotask user account: ``POST /users/<id>/autotask``."""

    at_username = EmailField("Autotask username", filters=[strip],
                             validators=[Optional(), Length(max=254),
                                         Email("Enter the Autotask username as an email address, "
                                               "like tech@yourmsp.com.")],
                             render_kw=PUBLIC_FIELD_ATTRS)
    at_password = SecretField("Autotask password", validators=[min_password_length, Length(max=200)],
                                render_kw=SECRET_FIELD_ATTRS, description=KEEP)
    at_password_confirm = SecretField(
        "Confirm Autotask password", render_kw=SECRET_FIELD_ATTRS,
        validators=[matches("at_password", "The two Autotask passwords do not match.")])


class TestForm(FlaskForm):
    """The test buttons carry only the CSRF token."""
