"""The simulator serves each ConnectWise kind at its own size when asked (benchmarks need 50k
catalog items beside 5k companies)."""
from __future__ import annotations

import pytest
import requests

from wisesync.psa.connectwise_rest import ConnectWiseRestClient
from wisesync.psa.http import OutboundPolicy
from wisesync.simulator import demo
from wisesync.simulator.server import RunningSim, create_sim_app


def client(sim) -> ConnectWiseRestClient:
    return ConnectWiseRestClient(sim.url, demo.CW_COMPANY_ID, demo.CW_PUBLIC_KEY, demo.CW_PRIVATE_KEY,
                                 "tests", policy=OutboundPolicy(allow_local=True))


def test_each_kind_can_have_its_own_size():
    with RunningSim(records=20, sizes={"catalog": 1500, "companies": 7}) as sim:
        cw = client(sim)
        assert cw.catalog_items_count() == 1500
        assert cw.companies_count() == 7
        assert cw.agreements_count() == 20  # not named: --records
        assert len(list(cw.catalog_items())) == 1500
        agreements = list(cw.agreements())
        assert {a["company"]["id"] for a in agreements} <= set(range(1, 8))
        sizes = requests.get(sim.url + "/_sim/health", timeout=5).json()["sizes"]
        assert sizes["catalog"] == 1500 and sizes["companies"] == 7 and sizes["agreements"] == 20


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown record kinds"):
        create_sim_app(records=5, sizes={"widgets": 3})


def test_the_cli_refuses_a_malformed_size(app):
    result = app.test_cli_runner().invoke(args=["psa-sim", "--size", "catalog=lots"])
    assert result.exit_code != 0
    assert "KIND=N" in result.output
