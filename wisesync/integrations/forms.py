"""Integration Settings forms: shape only. Whether the values work is the connectivity test's
job (in services), not the form's."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from wisesync.forms_common import SECRET_FIELD_ATTRS, SecretField, strip
from wisesync.psa.connectwise_common import CLOUD_SITES, resolve_site
from wisesync.psa.errors import PsaConfigError

KEEP_SECRET = "Leave blank to keep the current value."
# Autotask's zones are webservicesN.autotask.net, their REST API under /ATServicesRest/. Help
# articles (Sync 365's among them) tell people to type just the zone's name, "webservices2".
AUTOTASK_ZONE = re.compile(r"^(?:https?://)?(webservices\d+)(?:\.autotask\.net)?/?$", re.IGNORECASE)
ZONE_EXAMPLE = "webservices5, or its URL https://webservices5.autotask.net/ATServicesRest/"


def autotask_zone_url(value):
    """Field filter: a zone's name or host (``webservices2``, ``webservices2.autotask.net``) is
    that zone's REST address; anything else is left for the validator."""
    if isinstance(value, str):
        match = AUTOTASK_ZONE.match(value.strip())
        if match:
            return f"https://{match.group(1).lower()}.autotask.net/ATServicesRest/"
    return value
REGION_CHOICES = [("na", "North America (api-na.myconnectwise.net)"),
                  ("eu", "Europe (api-eu.myconnectwise.net)"),
                  ("au", "Australia (api-au.myconnectwise.net)"),
                  ("aus", "Australia, Sydney (api-aus.myconnectwise.net)"),
                  ("za", "South Africa (api-za.myconnectwise.net)"),
                  ("self", "Self-hosted — enter the host below")]


class ConnectWiseSettingsForm(FlaskForm):
    cw_company_id = StringField("Company ID", filters=[strip], validators=[
        DataRequired("Enter the ConnectWise company ID (the one typed on the ConnectWise sign-in page)."),
        Length(max=60, message="The company ID is at most 60 characters.")])
    # The picker is a convenience: a region there wins, "self" (or no picker at all) means
    # cw_site, which also accepts a region code, a host or a URL (DESIGN §6).
    cw_region = SelectField("Region", choices=REGION_CHOICES, default="self", validate_choice=False)
    cw_site = StringField("Self-hosted host", filters=[strip], validators=[
        Length(max=255, message="The host is at most 255 characters.")],
        description="Only for self-hosted ConnectWise, e.g. psa.example.com.")
    cw_public_key = StringField("API public key", filters=[strip], validators=[
        DataRequired("Enter the API member's public key."),
        Length(max=120, message="The public key is at most 120 characters.")])
    cw_private_key = SecretField("API private key", filters=[strip], render_kw=SECRET_FIELD_ATTRS,
                                   validators=[Length(max=120, message="The private key is at most 120 characters.")],
                                   description=KEEP_SECRET)
    cw_client_id = StringField("Client ID", filters=[strip], validators=[
        DataRequired("Enter the Client ID from developer.connectwise.com (My Clients)."),
        Length(max=120, message="The client ID is at most 120 characters.")])
    save_anyway = BooleanField("Save even if the test fails")

    @property
    def site(self) -> str:
        """What the admin chose: a region code from the picker, else the typed host."""
        region = (self.cw_region.data or "self") if self.cw_region.raw_data else "self"
        return region if region in CLOUD_SITES else (self.cw_site.data or "")

    def validate_cw_site(self, field) -> None:
        if not self.site:
            raise ValidationError("Pick a region, or enter your self-hosted ConnectWise host.")
        try:
            resolve_site(self.site)
        except PsaConfigError as exc:
            raise ValidationError(f"{exc.explanation} {exc.fix}") from None


class AutotaskSettingsForm(FlaskForm):
    at_username = StringField("API username", filters=[strip], validators=[
        DataRequired("Enter the Autotask API user's username (an email address)."),
        Email("The Autotask API username is an email address, like api@yourmsp.com."),
        Length(max=254, message="The username is at most 254 characters.")])
    at_secret = SecretField("Secret", filters=[strip], render_kw=SECRET_FIELD_ATTRS,
                              validators=[Length(max=254, message="The secret is at most 254 characters.")],
                              description=KEEP_SECRET)
    at_integration_code = StringField("Integration code", filters=[strip], validators=[
        DataRequired("Enter the integration code (Autotask calls it the API tracking identifier)."),
        Length(max=120, message="The integration code is at most 120 characters.")])
    at_zone_url = StringField("Zone (optional)", filters=[strip, autotask_zone_url], validators=[
        Optional(), Length(max=255, message="The zone URL is at most 255 characters.")],
        description=f"Leave blank to detect it from the username, or type the zone: {ZONE_EXAMPLE}.")
    save_anyway = BooleanField("Save even if the test fails")

    def validate_at_zone_url(self, field) -> None:
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(f"Type the zone's name or URL, like {ZONE_EXAMPLE}.")
