"""QLink forms: the password step of a QLink session, and the bare CSRF form for buttons."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import DataRequired

from wisesync.forms_common import SecretField


class ButtonForm(FlaskForm):
    """Generate / revoke buttons: nothing to fill in but the CSRF token."""


class ReauthForm(FlaskForm):
    password = SecretField("Your Wise-Sync password", validators=[
        DataRequired("Enter your password.")], render_kw={"autocomplete": "current-password",
                                                           "autofocus": True})
