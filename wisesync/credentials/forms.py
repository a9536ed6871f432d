"""Shape checks for the three credential forms; rules (primary uniqueness) live in services.

Secret fields are ``PasswordField``s (never echoed back) with the password-manager ignore
hints; an empty secret means "keep the stored one", so the rules only apply to a value that
was actually typed. A PSA secret is whatever the PSA accepts: the portal's own password rule
(``WISESYNC_PASSWORD_MIN_LENGTH``) is for Wise-Sync passwords only, so a 7-character
ConnectWise member password saves. What is refused is a value of only spaces (a slip, never
a password) and one longer than :data:`PSA_SECRET_MAX`.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import Email, Length, Optional, ValidationError

from wisesync.forms_common import SECRET_FIELD_ATTRS, SecretField, strip

KEEP = "Leave blank to keep the current value."
# Far above any PSA's own limit (ConnectWise and Autotask passwords, REST private keys), low
# enough that nobody pastes a file into the field.
PSA_SECRET_MAX = 256
# Public values sit next to secrets in the same small form: keep managers off them too.
PUBLIC_FIELD_ATTRS = {"autocomplete": "off", "data-lpignore": "true", "data-1p-ignore": "true",
                      "data-form-type": "other", "spellcheck": "false"}


def matches(other: str, message: str):
    """Confirmation rule for optional secrets: both blank is fine, otherwise they must match."""

    def check(form, field) -> None:
        if (field.data or "") != (form[other].data or ""):
            raise ValidationError(message)

    return check


def psa_secret(what: str):
    """The rule for a typed PSA secret: not only spaces, at most :data:`PSA_SECRET_MAX` characters."""

    def check(form, field) -> None:
        value = field.data or ""
        if value and not value.strip():
            raise ValidationError(f"The {what} is only spaces; type it again.")
        if len(value) > PSA_SECRET_MAX:
            raise ValidationError(f"The {what} is at most {PSA_SECRET_MAX} characters.")

    return check


class ReturnsToPage(FlaskForm):
    """``back=psa`` when the form was on ``/users/<id>/psa``: answer there, not on the user page."""

    back = HiddenField()


class MemberForm(ReturnsToPage):
    """ConnectWise Member: ``POST /users/<id>/connectwise``."""

    cw_member_id = StringField("Member ID", filters=[strip],
                               validators=[Optional(), Length(max=100, message="At most 100 characters.")],
                               render_kw=PUBLIC_FIELD_ATTRS,
                               description="The ConnectWise username of the member, e.g. jsmith.")
    cw_member_password = SecretField("Member password", validators=[psa_secret("member password")],
                                       render_kw=SECRET_FIELD_ATTRS, description=KEEP)
    cw_member_password_confirm = SecretField(
        "Confirm member password", render_kw=SECRET_FIELD_ATTRS,
        validators=[matches("cw_member_password", "The two member passwords do not match.")])


class ApiMemberForm(ReturnsToPage):
    """ConnectWise API Member: ``POST /users/<id>/connectwise-api``."""

    cw_public_key = StringField("API public key", filters=[strip],
                                validators=[Optional(), Length(max=120, message="At most 120 characters.")],
                                render_kw=PUBLIC_FIELD_ATTRS)
    cw_private_key = SecretField("API private key", validators=[psa_secret("API private key")],
                                   render_kw=SECRET_FIELD_ATTRS, description=KEEP)
    cw_is_primary = BooleanField("Is primary API account",
                                 description="At most one per account; ticking it here clears it on the other user.")


class AutotaskForm(ReturnsToPage):
    """Autotask user account: ``POST /users/<id>/autotask``."""

    at_username = EmailField("Autotask username", filters=[strip],
                             validators=[Optional(), Length(max=254),
                                         Email("Enter the Autotask username as an email address, "
                                               "like tech@yourmsp.com.")],
                             render_kw=PUBLIC_FIELD_ATTRS)
    at_password = SecretField("Autotask password", validators=[psa_secret("Autotask password")],
                                render_kw=SECRET_FIELD_ATTRS, description=KEEP)
    at_password_confirm = SecretField(
        "Confirm Autotask password", render_kw=SECRET_FIELD_ATTRS,
        validators=[matches("at_password", "The two Autotask passwords do not match.")])


class TestForm(ReturnsToPage):
    """The test buttons carry only the CSRF token (and where to answer)."""
