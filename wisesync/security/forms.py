from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

from wisesync.forms_common import new_password_fields


class ResetRequestForm(FlaskForm):
    email = StringField("Your email address", validators=[
        DataRequired("Enter the email address of your Wise-Sync user."),
        Email("Enter a valid email address, like name@example.com."), Length(max=254)],
        render_kw={"autocomplete": "email", "autofocus": True})


class ResetPasswordForm(FlaskForm):
    password, password_confirm = new_password_fields()


class VerifyForm(FlaskForm):
    code = StringField("Login code", validators=[
        DataRequired("Enter the 6-digit code from the mail."),
        Regexp(r"^\s*\d{6}\s*$", message="The code is 6 digits, like 123456.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                   "pattern": "[0-9]{6}", "maxlength": 6})


class AccountForm(FlaskForm):
    name = StringField("Account (MSP) name", validators=[
        DataRequired("Enter the name of your MSP."), Length(max=120)])
    two_factor = RadioField("Two-factor login", choices=[
        ("off", "Off: username and password"),
        ("required", "Required: after the password, a 6-digit code sent by mail")],
        validators=[DataRequired("Choose Off or Required.")])
