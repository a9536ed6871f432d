"""QLink forms: the password step of a QLink session, and the bare CSRF form for buttons."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired


class ButtonForm(FlaskForm):
    """Generate / revoke buttons: nothing to fill in but the CSRF token."""


class ReauthForm(FlaskForm):
    password = PasswordField("Your Wise-Sync password", validators=[
        DataRequired("Enter your password.")], render_kw={"autocomplete": "current-password",
                                                           "autofocus": True})
