"""Form pieces shared by several features (password rules, secret-field attributes)."""
from __future__ import annotations

from flask import current_app
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

# Attributes that keep password managers away from PSA secret fields (DESIGN §4).
SECRET_FIELD_ATTRS = {
    "autocomplete": "new-password",
    "data-lpignore": "true",
    "data-1p-ignore": "true",
    "data-form-type": "other",
}
NEW_PASSWORD_ATTRS = {"autocomplete": "new-password"}


def min_password_length(form, field) -> None:
    """Minimum length from ``WISESYNC_PASSWORD_MIN_LENGTH``, checked only on a submitted value."""
    minimum = current_app.config["WISESYNC_PASSWORD_MIN_LENGTH"]
    if field.data and len(field.data) < minimum:
        raise ValidationError(f"Passwords must be at least {minimum} characters long")


def new_password_fields():
    """A (password, password_confirm) pair with the length rule and the match rule."""
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter a password."), min_password_length],
        render_kw=NEW_PASSWORD_ATTRS,
    )
    confirm = PasswordField(
        "Confirm password",
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
