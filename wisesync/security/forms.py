from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import (DataRequired, Email, Length, NumberRange, Optional, Regexp,
                                ValidationError)
from wtforms.widgets import HiddenInput

from wisesync.forms_common import new_password_fields, strip
from wisesync.web import MAX_ID


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


class DayField(DateField):
    """A ``YYYY-MM-DD`` date whose error says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a date like 2026-12-31.") from None


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField("What", choices=[], default="")
    person = StringField("Person", filters=[strip], validators=[Optional(), Length(
        max=120, message="Type at most 120 characters of a name, username or email.")],
        render_kw={"placeholder": "Name, username or email", "type": "search"})
    user = IntegerField("Person", validators=[Optional(), NumberRange(min=1, max=MAX_ID)], widget=HiddenInput())
    since = DayField("From", name="from", validators=[Optional()], format="%Y-%m-%d",
                      render_kw={"type": "date"})
    until = DayField("To", name="to", validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"})

    def __init__(self, *args, **kwargs):
        from wisesync.security.audit_log import action_choices

        super().__init__(*args, **kwargs)
        self.action.choices = [("", "Every action"), *action_choices()]

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")
