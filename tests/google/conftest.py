import pytest


@pytest.fixture
def google_sim(psa_sim):
    """The shared simulator with a fresh Google side (grants, revocations, Drives)."""
    psa_sim.state.google.reset()
    yield psa_sim
    psa_sim.state.google.reset()
