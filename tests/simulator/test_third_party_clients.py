"""Two third-party ConnectWise clients, pyconnectwise (pydantic models of ConnectWise's own
schema) and connectpyse (connectpyse's lower-case ``childconditions`` and trailing-slash URLs),
run their list, count, paging and filter calls against the simulator: what they send must be
understood, what it answers must parse in them, and what ConnectWise refuses they must see
refused. Only their base URL is redirected to the simulator (pyconnectwise hard-codes https)."""
from __future__ import annotations

import base64

import pytest

from wisesync.simulator import cw_data, demo

pyconnectwise = pytest.importorskip("pyconnectwise")
connectpyse = pytest.importorskip("connectpyse")

from connectpyse.company.companies_api import CompaniesAPI  # noqa: E402
from connectpyse.finance.agreements_api import AgreementsAPI  # noqa: E402
from connectpyse.procurement.catalog_item_api import CatalogItemAPI  # noqa: E402
from connectpyse.restapi import ApiError  # noqa: E402
from connectpyse.system.members_api import MembersAPI  # noqa: E402
from pyconnectwise import ConnectWiseManageAPIClient  # noqa: E402
from pyconnectwise.exceptions import MalformedRequestException  # noqa: E402

N = 200  # psa_sim's records


class SimManageClient(ConnectWiseManageAPIClient):
    """pyconnectwise's client with ``https://{manage_url}`` swapped for the simulator's URL."""

    def __init__(self, base_url: str, **kw):
        self._base = base_url
        super().__init__(**kw)

    def _get_url(self) -> str:
        return f"{self._base}/{self.codebase.strip('/')}/apis/3.0"

    def _try_get_codebase_from_api(self, manage_url, company_name, headers):
        url = f"{self._base}/login/companyinfo/{company_name}"
        return self._make_request("GET", url, headers=headers).json().get("Codebase")


@pytest.fixture
def pcw(psa_sim):
    return SimManageClient(psa_sim.url, company_name=demo.CW_COMPANY_ID, manage_url="sim.invalid",
                           client_id="third-party-tests", public_key=demo.CW_PUBLIC_KEY,
                           private_key=demo.CW_PRIVATE_KEY)


@pytest.fixture
def cpy(psa_sim):
    token = base64.b64encode(f"{demo.CW_COMPANY_ID}+{demo.CW_PUBLIC_KEY}:{demo.CW_PRIVATE_KEY}".encode()).decode()
    auth = {"Authorization": f"Basic {token}", "clientId": "third-party-tests"}
    url = f"{psa_sim.url}/v4_6_release/apis/3.0"
    return lambda api: api(url=url, auth=dict(auth))


def acme_or_small(i: int) -> bool:
    return i < 5 or cw_data.company_name(i).startswith("Acme")


def test_pyconnectwise_discovers_the_codebase_lists_counts_and_filters(pcw):
    assert pcw.codebase == demo.CW_CODEBASE
    companies = pcw.company.companies.get(params={"conditions": 'id<5 or name like "Acme%"', "pageSize": 1000})
    assert [c.id for c in companies] == [i for i in range(1, N + 1) if acme_or_small(i)]
    assert companies[0].name == cw_data.company_name(1)  # parsed into its pydantic model
    count = pcw.company.companies.count.get(params={"conditions": 'name like "Acme%"'})
    assert count.count == sum(cw_data.company_name(i).startswith("Acme") for i in range(1, N + 1))
    members = pcw.system.members.get(params={"pageSize": 100})
    assert members[0].identifier == "jsmith"
    items = pcw.procurement.catalog.get(params={"conditions": 'description like "Backup%"', "orderBy": "id desc"})
    assert [i.id for i in items] == sorted((i.id for i in items), reverse=True) and items


def test_pyconnectwise_pages_through_link_headers(pcw):
    paged = pcw.company.companies.paginated(1, 30, params={"conditions": "id>3"})
    assert paged.has_next_page and paged.last_page == -(-(N - 3) // 30)
    assert [c.id for c in paged.all()] == list(range(4, N + 1))
    agreements = list(pcw.finance.agreements.paginated(1, 45, params={"orderBy": "id desc"}).all())
    assert [a.id for a in agreements] == list(range(N, 0, -1))


def test_pyconnectwise_sees_refusals_and_obtains_a_member_token(pcw):
    with pytest.raises(MalformedRequestException) as refused:
        pcw.company.companies.get(params={"conditions": "typeids=1"})
    assert refused.value.response.json()["message"] == "typeids is not a recognized name."
    token = pcw.system.members.id("jsmith").tokens.post(data={"memberIdentifier": "jsmith"})
    assert token.public_key and token.private_key and token.expiration


def test_connectpyse_lists_counts_pages_and_filters(cpy):
    companies = cpy(CompaniesAPI)
    companies.conditions, companies.pageSize = 'id<5 or name like "Acme%"', 1000
    assert [c.id for c in companies.get_companies()] == [i for i in range(1, N + 1) if acme_or_small(i)]
    assert companies.get_companies_count() == sum(acme_or_small(i) for i in range(1, N + 1))
    companies.conditions, companies.page, companies.pageSize = "", 3, 50
    assert [c.id for c in companies.get_companies()] == list(range(101, 151))
    companies.page, companies.pageSize, companies.orderBy = "", 5, "name asc"
    first = [c.name.lower() for c in companies.get_companies()]
    assert first == sorted(cw_data.company_name(i).lower() for i in range(1, N + 1))[:5]
    assert companies.get_company_by_id(3).identifier == cw_data.company_identifier(3)


def test_connectpyse_lower_case_child_conditions_are_honoured(cpy):
    companies = cpy(CompaniesAPI)
    companies.childconditions, companies.pageSize = 'types/name="Vendor"', 1000
    assert list(companies.get_companies()) == []
    companies.childconditions = 'types/name="Client"'
    assert companies.get_companies_count() == N


def test_connectpyse_other_endpoints_and_refusals(cpy):
    members, catalog, agreements = cpy(MembersAPI), cpy(CatalogItemAPI), cpy(AgreementsAPI)
    assert members.get_members_count() >= 5
    catalog.conditions = "inactiveFlag=true"
    assert catalog.get_catalog_items_count() == N // 50
    agreements.pageSize = 1000
    assert len(list(agreements.get_agreements())) == N
    companies = cpy(CompaniesAPI)
    companies.conditions = "bogus=1"
    with pytest.raises(ApiError, match="bogus is not a recognized name"):
        list(companies.get_companies())
