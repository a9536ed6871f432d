import pytest

from tests.integrations.helpers import sim_app_config


@pytest.fixture
def app_config(psa_sim):
    return sim_app_config(psa_sim)


@pytest.fixture
def admin(app, login, psa_sim):
    """An admin of a ConnectWise account whose settings point at the simulator, logged in."""
    from tests.builders import make_account, make_admin
    from tests.integrations.helpers import save_cw_settings

    account = make_account(psa_type="connectwise")
    save_cw_settings(account, psa_sim)
    user = make_admin(account)
    login(user)
    return user
