"""Form pieces shared by several features (password rules, secret-field attributes)."""
from __future__ import annotations

from flask import current_app
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError
from wtforms.widgets import Input, PasswordInput

# Attributes that keep password managers away from PSA secret fields (DESIGN §4).
SECRET_FIELD_ATTRS = {
    "autocomplete": "new-password",
    "data-lpignore": "true",
    "data-1p-ignore": "true",
    "data-form-type": "other",
}
NEW_PASSWORD_ATTRS = {"autocomplete": "new-password"}


class SecretInput(PasswordInput):
    """A password input with no ``value`` attribute at all (not even ``value=""``)."""

    def __call__(self, field, **kwargs):
        kwargs["value"] = False  # html_params drops False: nothing typed or stored is echoed
        return Input.__call__(self, field, **kwargs)


class SecretField(PasswordField):
    """A ``PasswordField`` rendered without ``value=``. Every password and secret uses it."""

    widget = SecretInput()


def strip(value):
    """Field filter: surrounding spaces are never part of a name, code or key."""
    return value.strip() if isinstance(value, str) else value


def min_password_length(form, field) -> None:
    """Minimum length from ``WISESYNC_PASSWORD_MIN_LENGTH``, checked only on a submitted value."""
    minimum = current_app.config["WISESYNC_PASSWORD_MIN_LENGTH"]
    if field.data and len(field.data) < minimum:
        raise ValidationError(f"Passwords must be at least {minimum} characters long")


def new_password_fields(label: str = "Password"):
    """A (password, password_confirm) pair with the length rule and the match rule."""
    password = SecretField(
        label,
        validators=[DataRequired("Enter a password."), min_password_length],
        render_kw=NEW_PASSWORD_ATTRS,
    )
    confirm = SecretField(
        f"Confirm {label[0].lower()}{label[1:]}",
        validators=[DataRequired("Enter the password again."),
                    EqualTo("password", message="The two passwords do not match.")],
        render_kw=NEW_PASSWORD_ATTRS,
    )
    return password, confirm


def add_field_error(form, error) -> None:
    """Show a service's :class:`~wisesync.service_errors.FieldError` next to its field."""
    field = getattr(form, error.field, None)
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = list(field.errors or []) + [error.message]


def form_status(form) -> int:
    """The status for a rendered form: a form that was sent and comes back had bad input (400)."""
    return 400 if form.is_submitted() else 200
