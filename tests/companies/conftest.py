from tests.companies.xero_flow import xero_sim  # noqa: F401  (fixture)
