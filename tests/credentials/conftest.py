"""Accounts wired to the simulator: IntegrationSettings point at ``psa_sim`` (demo credentials)."""
from __future__ import annotations

import pytest

from tests.builders import make_account, make_admin, make_user
from wisesync.extensions import db
from wisesync.integrations.models import IntegrationSettings
from wisesync.simulator import demo


def point_at_sim(account, psa_sim, **overrides) -> IntegrationSettings:
    """The account's Integration Settings aimed at the simulator (what per-user tests read)."""
    values = {"cw_company_id": demo.CW_COMPANY_ID, "cw_site": psa_sim.url, "cw_client_id": "wisesync-tests",
              "at_integration_code": demo.AT_INTEGRATION_CODE,
              "at_zone_url": f"{psa_sim.url}/ATServicesRest/"}
    values.update(overrides)
    settings = IntegrationSettings(account_id=account.id, **values)
    db.session.add(settings)
    db.session.commit()
    return settings


@pytest.fixture
def cw_account(psa_sim):
    account = make_account("Acme MSP", psa_type="connectwise")
    point_at_sim(account, psa_sim)
    return account


@pytest.fixture
def at_account(psa_sim):
    account = make_account("Autotask MSP", psa_type="autotask")
    point_at_sim(account, psa_sim)
    return account


@pytest.fixture
def admin(cw_account):
    return make_admin(cw_account, first_name="Ada", last_name="Admin")


@pytest.fixture
def member(cw_account):
    return make_user(cw_account, first_name="Pat", last_name="Lee")
