"""The company form: shape only (required, lengths). Name uniqueness is a service rule."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from wisesync.forms_common import strip


class CompanyForm(FlaskForm):
    name = StringField("Company name", filters=[strip], validators=[
        DataRequired("Enter the company's name."),
        Length(max=120, message="Keep the name to 120 characters or fewer.")],
        description="As it is called in your accounting package, e.g. the Xero organisation name.")
    sales_tax_code = StringField("Sales tax code", filters=[strip], validators=[
        DataRequired("Enter the tax code used on sales invoices, e.g. OUTPUT2."),
        Length(max=40, message="Tax codes are at most 40 characters.")],
        description="Applied to invoices synced from the PSA, e.g. OUTPUT2.")
    purchase_tax_code = StringField("Purchase tax code", filters=[strip], validators=[
        DataRequired("Enter the tax code used on purchases, e.g. INPUT2."),
        Length(max=40, message="Tax codes are at most 40 characters.")],
        description="Applied to bills and purchases, e.g. INPUT2.")
