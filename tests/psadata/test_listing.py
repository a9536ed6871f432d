"""/psa list pages at scale (issue 16): keyset pages whose links keep their place, numeric
price order, the count, and damaged links. Search through the index: test_listing_search.py."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.builders import make_account, make_user
from wisesync.extensions import db
from wisesync.psadata import services
from wisesync.psadata.models import PsaCustomer, PsaProduct


@pytest.fixture
def account(app):
    return make_account()


def customers(account, numbers, **kw):
    db.session.add_all([PsaCustomer(account_id=account.id, psa_id=i, name=f"Customer {i:03d}",
                                    identifier=f"CUST{i}", **kw) for i in numbers])
    db.session.commit()


def names(page: str) -> list[str]:
    return re.findall(r"<td>(Customer \d+|Product [^<]+)</td>", page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_next_links_walk_every_row_once_active_first_then_back(client, login, account):
    customers(account, range(1, 81))
    customers(account, range(81, 131), active=False)
    login(make_user(account))
    seen, url, pages = [], "/psa/customers", []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(page)
        seen += names(page)
        url = link(page, "next")
    assert seen == [f"Customer {i:03d}" for i in range(1, 131)]  # 80 active, then 50 inactive
    assert len(pages) == 3 and "30 of 130 customers" in pages[-1]
    back, url = [], link(pages[-1], "prev")
    while url:
        page = client.get(url).get_data(as_text=True)
        back = names(page) + back
        url = link(page, "prev")
    assert back == seen[:100]


def test_a_page_link_keeps_its_place_when_rows_are_added_before_it(client, login, account):
    customers(account, range(10, 130))
    login(make_user(account))
    second = link(client.get("/psa/customers").get_data(as_text=True), "next")
    customers(account, range(1, 10))  # sort before everything on page 1
    page = client.get(second).get_data(as_text=True)
    assert names(page)[0] == "Customer 060"  # still right after the row the link was made from


def test_old_numbered_page_links_lead_to_the_same_rows(client, login, account):
    customers(account, range(1, 81))
    customers(account, range(81, 131), active=False)
    login(make_user(account))
    response = client.get("/psa/customers?page=2")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert names(page)[0] == "Customer 051" and names(page)[-1] == "Customer 100"  # across active/inactive
    third = client.get(client.get("/psa/customers?page=3").headers["Location"]).get_data(as_text=True)
    assert names(third)[0] == "Customer 101"
    assert client.get("/psa/customers?page=99").headers["Location"].endswith("?last=1")
    searched = client.get("/psa/customers?q=customer+1&page=2").headers["Location"]
    assert "q=customer+1" in searched and "Customer 1" in client.get(searched).get_data(as_text=True)


def test_a_link_past_the_rows_there_are_shows_the_nearest_page(client, login, account):
    customers(account, range(1, 61))
    login(make_user(account))
    assert names(client.get("/psa/customers?after=1.1.Zzz").get_data(as_text=True))[-1] == "Customer 060"
    assert names(client.get("/psa/customers?before=0.1.Aaa").get_data(as_text=True))[0] == "Customer 001"


def test_a_damaged_page_link_is_a_400_with_the_first_page(client, login, account):
    customers(account, range(1, 60))
    login(make_user(account))
    for bad in ("garbage", "9.1.x", "0.x.Customer", "1.5", "0.99999999999.x", "-1.1.x"):
        response = client.get(f"/psa/customers?after={bad}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "page link is damaged" in page and "Customer 001" in page
    assert client.get("/psa/customers?after=0.1.%00").status_code == 400  # NUL: refused before the view
    for bad in ("0.3.not-a-number", "0.3.NaN", "0.3.1e999999", "2.3.-1e10"):
        response = client.get(f"/psa/products?sort=price&before={bad}")
        assert response.status_code == 400, bad
    assert client.get("/psa/products?sort=price&after=1.3.").status_code == 200  # the unpriced rows: no value
    assert client.get("/psa/products?sort=nonsense&last=1").status_code == 200  # by name


def test_prices_sort_as_numbers_unpriced_and_inactive_last(client, login, account):
    rows = [("Ten", 10), ("Nine", 9), ("Hundred", Decimal("100.50")), ("Free", 0), ("Unpriced", None)]
    db.session.add_all([PsaProduct(account_id=account.id, kind="catalog", psa_id=i, name=f"Product {n}", price=p)
                        for i, (n, p) in enumerate(rows, 1)])
    db.session.add(PsaProduct(account_id=account.id, kind="catalog", psa_id=99, name="Product Cheap old", price=1,
                              active=False))
    db.session.commit()
    login(make_user(account))
    page = client.get("/psa/products?sort=price").get_data(as_text=True)
    assert names(page) == ["Product Free", "Product Nine", "Product Ten", "Product Hundred", "Product Unpriced",
                           "Product Cheap old"]
    assert "100.50" in page and 'aria-sort="ascending">Price' in page
    by_name = client.get("/psa/products").get_data(as_text=True)
    assert names(by_name)[:2] == ["Product Free", "Product Hundred"]


def test_price_pages_join_up_across_the_priced_and_unpriced_rows(app, account):
    db.session.add_all([PsaProduct(account_id=account.id, kind="catalog", psa_id=i, name=f"P{i}",
                                   price=None if i % 3 == 0 else (i * 7) % 50) for i in range(1, 131)])
    db.session.commit()
    seen, at = [], services.Position(sort="price")
    while True:
        page = services.products(account.id, "", at)
        seen += [p.psa_id for (p,) in page.items]
        if not page.has_next:
            break
        at = services.Position(sort="price", after=page.next_key)
    priced = sorted((p for p in range(1, 131) if p % 3), key=lambda i: ((i * 7) % 50, i))
    assert seen == priced + [p for p in range(1, 131) if p % 3 == 0]


def test_customers_show_their_status_once(client, login, account):
    customers(account, [1], status="Not Approved")
    login(make_user(account))
    page = client.get("/psa/customers").get_data(as_text=True)
    assert page.count("Not Approved") == 1 and ">active<" not in page


def test_big_totals_are_cached_and_searches_say_more_than(client, login, account, monkeypatch):
    monkeypatch.setattr(services, "EXACT_UP_TO", 20)
    customers(account, range(1, 61))
    login(make_user(account))
    assert "60 customers" in client.get("/psa/customers").get_data(as_text=True)
    assert "More than 20 customers matching" in client.get("/psa/customers?q=customer").get_data(as_text=True)
    customers(account, range(61, 66))  # a new row moves the cache key
    assert "65 customers" in client.get("/psa/customers").get_data(as_text=True)
