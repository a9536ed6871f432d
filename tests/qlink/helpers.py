"""Small helpers for the QLink page tests."""
from __future__ import annotations

import re

from tests.builders import make_account, make_admin, make_user

URL_IN_PAGE = re.compile(r"http://localhost/q/(wsq_[A-Za-z0-9_-]+)")


def cw_account_with_people(psa_type: str = "connectwise"):
    account = make_account(psa_type=psa_type)
    return account, make_admin(account, first_name="Ada"), make_user(account, first_name="Uma")


def token_from(response) -> str:
    match = URL_IN_PAGE.search(response.get_data(as_text=True))
    assert match, "the generated page shows the full QLink"
    return match.group(1)
