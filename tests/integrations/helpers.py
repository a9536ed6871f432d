"""Builders for integration tests: an account whose settings point at the simulator."""
from __future__ import annotations

from wisesync.crypto import encrypt
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings
from wisesync.modelbase import utcnow
from wisesync.simulator import demo


def sim_app_config(psa_sim) -> dict:
    return {"WISESYNC_AUTOTASK_ZONE_LOOKUP_URL": f"{psa_sim.url}/atservicesrest/v1.0/zoneInformation"}


def cw_form(psa_sim, **overrides) -> dict:
    data = {"cw_company_id": demo.CW_COMPANY_ID, "cw_site": psa_sim.url, "cw_public_key": demo.CW_PUBLIC_KEY,
            "cw_private_key": demo.CW_PRIVATE_KEY, "cw_client_id": "wise-sync-tests"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def at_form(**overrides) -> dict:
    data = {"at_username": demo.AT_API_USERNAME, "at_secret": demo.AT_API_SECRET,
            "at_integration_code": demo.AT_INTEGRATION_CODE, "at_zone_url": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def save_cw_settings(account, psa_sim, private_key: str = demo.CW_PRIVATE_KEY) -> IntegrationSettings:
    settings = IntegrationSettings(account_id=account.id, cw_company_id=demo.CW_COMPANY_ID, cw_site=psa_sim.url,
                                   cw_public_key=demo.CW_PUBLIC_KEY, cw_private_key_enc=encrypt(private_key),
                                   cw_private_key_set_at=utcnow(), cw_client_id="wise-sync-tests")
    db.session.add(settings)
    db.session.commit()
    return settings


def save_at_settings(account, secret: str = demo.AT_API_SECRET) -> IntegrationSettings:
    settings = IntegrationSettings(account_id=account.id, at_username=demo.AT_API_USERNAME,
                                   at_secret_enc=encrypt(secret), at_secret_set_at=utcnow(),
                                   at_integration_code=demo.AT_INTEGRATION_CODE)
    db.session.add(settings)
    db.session.commit()
    return settings
