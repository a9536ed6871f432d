"""The company form: shape only (required, lengths, one of the offered choices).

Rules that need the database (name taken, a location another company has, only one company
without locations) are service rules. The choices are filled by the route: the account's
pulled locations, and — once the company is connected to Xero — the organisation's active tax
rates, which turn the four tax-code fields from free text into selects.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from wisesync.companies.models import DEFAULT_ROUNDING_ACCOUNT
from wisesync.forms_common import strip
from wisesync.users import forms as user_forms

NOT_A_LOCATION = "Choose {many} from the list pulled from {psa}."
LOCATIONS_HELP = {
    "connectwise": "This company takes the invoices and purchases of the locations ticked. Tick none to "
                   "take every location no other company names (only one company may do that).",
    "autotask": "This company takes the invoices whose first billing item carries an organisational level "
                "ticked. Tick none to take every level no other company names (only one company may do that).",
}

# field → (label, what it is for, example, required)
TAX_FIELDS = {
    "sales_tax_code": ("Taxable sales", "sales invoices", "OUTPUT2", True),
    "sales_exempt_tax_code": ("Exempt sales", "non-taxable lines of sales invoices", "EXEMPTOUTPUT", False),
    "purchase_tax_code": ("Taxable purchases", "purchases", "INPUT2", True),
    "purchase_exempt_tax_code": ("Exempt purchases", "non-taxable lines of bills", "EXEMPTINPUT", False),
}
DOCUMENT_STATUS_CHOICES = [
    ("DRAFT", "Draft — someone approves them in Xero"),
    ("AUTHORISED", "Approved (AUTHORISED) — ready to pay or send"),
]
SCHEDULE_CHOICES = [("manual", "Manual — only when someone clicks Sync"),
                    ("hourly", "Every hour"), ("daily", "Once a day")]


class MultiCheckboxField(user_forms.MultiCheckboxField):
    """Ticks for PSA locations. Same name as the users' field on purpose: the ``field`` macro
    renders ticks by the field's type name; only the message differs."""

    not_offered = NOT_A_LOCATION.format(many="locations", psa="ConnectWise")

    def pre_validate(self, form) -> None:
        allowed = {value for value, _label in (self.choices or [])}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(self.not_offered)


class TaxRateSelect(SelectField):
    """One of the organisation's tax rates (or the saved code, shown as missing)."""

    def pre_validate(self, form) -> None:
        if self.data and self.data not in {value for value, _label in self.choices}:
            raise ValidationError(f"Choose one of the organisation's active tax rates for "
                                  f"{TAX_FIELDS[self.name][1]}.")


def _tax_text_field(name: str):
    label, purpose, example, required = TAX_FIELDS[name]
    first = [DataRequired(f"Enter the tax code used on {purpose}, e.g. {example}.")] if required else [Optional()]
    return StringField(f"{label} tax code", filters=[strip], validators=first + [
        Length(max=40, message="Tax codes are at most 40 characters.")],
        description=f"The Xero tax type for {purpose}, e.g. {example}."
                    + ("" if required else " Leave blank if you have none."))


def _tax_select_field(name: str):
    label, purpose, _example, required = TAX_FIELDS[name]
    validators = [DataRequired(f"Choose the tax rate used on {purpose}.")] if required else [Optional()]
    return TaxRateSelect(f"{label} tax rate", choices=[], validators=validators,
                         description=f"The organisation's tax rate for {purpose}.")


class CompanyForm(FlaskForm):
    """Fields of the company page, in its sections. Tax codes are free text until the company
    is connected to Xero (see :func:`company_form`)."""

    name = StringField("Company name", filters=[strip], validators=[
        DataRequired("Enter the company's name."),
        Length(max=120, message="Keep the name to 120 characters or fewer.")],
        description="As it is called in your accounting package, e.g. the Xero organisation name.")
    sales_tax_code = _tax_text_field("sales_tax_code")
    sales_exempt_tax_code = _tax_text_field("sales_exempt_tax_code")
    purchase_tax_code = _tax_text_field("purchase_tax_code")
    purchase_exempt_tax_code = _tax_text_field("purchase_exempt_tax_code")
    psa_locations = MultiCheckboxField(
        "ConnectWise billing locations", coerce=int, choices=[], description=LOCATIONS_HELP["connectwise"])
    document_status = RadioField("Documents arrive in Xero as", choices=DOCUMENT_STATUS_CHOICES,
                                 default="DRAFT", validators=[DataRequired("Choose a document status.")])
    sync_schedule = RadioField("Sync schedule", choices=SCHEDULE_CHOICES, default="manual",
                               validators=[DataRequired("Choose a schedule.")])
    rounding_account = StringField("Rounding account code", filters=[strip], default=DEFAULT_ROUNDING_ACCOUNT,
                                   validators=[
        DataRequired("Enter the Xero account code rounding differences go to, e.g. 860."),
        Length(max=10, message="Xero account codes are at most 10 characters."),
        Regexp(r"^[A-Za-z0-9._-]+$", message="Use the account's code as Xero shows it, e.g. 860.")],
        description="Where a difference of up to 0.05 between the PSA's total and Xero's goes.")


def rate_label(rate: dict) -> str:
    """ "GST on Income (15%) — OUTPUT2" """
    shown = ""
    raw = rate.get("EffectiveRate")
    if raw not in (None, ""):
        try:
            shown = f" ({_percent(Decimal(str(raw)))}%)"
        except InvalidOperation:
            shown = ""
    return f"{rate.get('Name') or rate.get('TaxType')}{shown} — {rate.get('TaxType')}"


def _percent(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.0001')):f}".rstrip("0").rstrip(".")
    return text or "0"


def tax_choices(active_rates: list[dict], saved: str, org_name: str) -> list[tuple[str, str]]:
    """The select's options: a blank, the active rates, and the saved code when the
    organisation lacks it (marked missing — never silently dropped)."""
    choices = [("", "— choose —")]
    codes = set()
    for rate in active_rates:
        code = str(rate.get("TaxType") or "")
        if code and code not in codes:
            codes.add(code)
            choices.append((code, rate_label(rate)))
    if saved and saved not in codes:
        choices.append((saved, f"{saved} — missing: not an active tax rate of {org_name}"))
    return choices


def company_form(company=None, *, locations=(), active_rates=None, org_name: str = "",
                 formdata=..., terms=None):
    """The company form for this page: ``locations`` are ``(psa_id, name)`` choices (the
    company's saved ids are added when the PSA no longer lists them), labelled in ``terms``
    (the account's :class:`~wisesync.companies.services.LocationTerms`, ConnectWise's when
    None); ``active_rates`` (the connected organisation's ACTIVE tax rates, or None before a
    connection) makes the tax codes selects."""
    if active_rates is not None:
        attrs = {name: _tax_select_field(name) for name in TAX_FIELDS}
        form_class = type("ConnectedCompanyForm", (CompanyForm,), attrs)
    else:
        form_class = CompanyForm
    kwargs = {"obj": company}
    if formdata is not ...:
        kwargs["formdata"] = formdata
    if company is not None:
        kwargs["psa_locations"] = sorted(company.location_ids)
    form = form_class(**kwargs)
    field = form.psa_locations
    if terms is not None:
        field.label.text = terms.label
        field.description = LOCATIONS_HELP.get(terms.psa.lower(), field.description)
        field.not_offered = NOT_A_LOCATION.format(many=terms.many, psa=terms.psa)
    names = dict(locations)
    choices = list(locations)
    for psa_id in sorted(company.location_ids if company is not None else ()):
        if psa_id not in names:
            named = terms.named(psa_id) if terms is not None else f"Location {psa_id}"
            choices.append((psa_id, f"{named} (no longer in {terms.psa if terms else 'ConnectWise'})"))
    field.choices = choices
    if active_rates is not None:
        for name in TAX_FIELDS:
            saved = getattr(company, name, "") if company is not None else ""
            getattr(form, name).choices = tax_choices(active_rates, saved or "", org_name or "the organisation")
    return form


class TenantForm(FlaskForm):
    """Pick the organisation when the grant holds several; the route fills the choices."""

    tenant_id = RadioField("Xero organisation", choices=[],
                           validators=[DataRequired("Choose the organisation for this company.")])
