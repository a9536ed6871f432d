from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Email, Length

from wisesync.forms_common import SecretField, new_password_fields


class SetupForm(FlaskForm):
    account_name = StringField("Account (MSP) name", validators=[
        DataRequired("Enter the name of your MSP."), Length(max=120)])
    psa_type = RadioField("PSA", choices=[("connectwise", "ConnectWise Manage"),
                                          ("autotask", "Autotask")],
                          validators=[DataRequired("Choose the PSA your team uses.")])
    first_name = StringField("First name", validators=[DataRequired("Enter a first name."),
                                                       Length(max=80)])
    last_name = StringField("Last name", validators=[DataRequired("Enter a last name."),
                                                     Length(max=80)])
    email = StringField("Email", validators=[
        DataRequired("Enter an email address."),
        Email("Enter a valid email address, like name@example.com."), Length(max=254)],
        render_kw={"autocomplete": "email"})
    password, password_confirm = new_password_fields()


class LoginForm(FlaskForm):
    username = StringField("Username (email)", validators=[DataRequired("Enter your username.")],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = SecretField("Password", validators=[DataRequired("Enter your password.")],
                             render_kw={"autocomplete": "current-password"})


class OwnPasswordForm(FlaskForm):
    current_password = SecretField("Current password", validators=[
        DataRequired("Enter your current password.")], render_kw={"autocomplete": "current-password"})
    password, password_confirm = new_password_fields("New password")
