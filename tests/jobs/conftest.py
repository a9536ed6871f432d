import pytest

from tests.integrations.helpers import sim_app_config


@pytest.fixture
def app_config(psa_sim):
    return sim_app_config(psa_sim)
