"""The Xero transport without a network: exact JSON, error mapping, retries, the outbound guard."""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import socket
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import requests

from tests.accounting.fakes import SETTINGS, TENANT, TOKEN, FakeXero, Limiter, client, reply
from wisesync.accounting.errors import (XeroAuthError, XeroBadResponse, XeroBlockedTarget, XeroError,
                                        XeroForbidden, XeroNotFound, XeroRateLimited, XeroUnavailable,
                                        XeroValidationError)
from wisesync.accounting.xero_http import dumps

INVOICES = "/api/api.xro/2.0/Invoices"


def test_decimal_is_written_as_the_exact_json_number_it_spells():
    assert dumps({"UnitAmount": Decimal("12.3456")}) == '{"UnitAmount":12.3456}'
    assert dumps([Decimal("1E+2"), Decimal("-0.50"), Decimal("0.00000012")]) == "[100,-0.50,0.00000012]"
    assert dumps(Decimal("1234567890123456.7891")) == "1234567890123456.7891"  # a float would round


def test_dates_are_sent_as_plain_iso_strings():
    assert dumps({"Date": date(2026, 5, 1)}) == '{"Date":"2026-05-01"}'
    assert dumps(datetime(2026, 5, 1, 13, 5, 9, 123)) == '"2026-05-01T13:05:09"'
    assert dumps(datetime(2026, 5, 1, 1, 0, tzinfo=timezone.utc)) == '"2026-05-01T01:00:00"'


def test_json_writer_handles_strings_bools_nulls_and_refuses_floats():
    assert dumps({"Name": 'Māori "Trust"', "IsSold": True, "Code": None, "Qty": 3}) == \
        '{"Name":"M\\u0101ori \\"Trust\\"","IsSold":true,"Code":null,"Qty":3}'
    with pytest.raises(TypeError, match="Decimal"):
        dumps({"UnitAmount": 12.5})
    with pytest.raises(ValueError):
        dumps(Decimal("NaN"))
    with pytest.raises(TypeError):
        dumps({1: "x"})


def test_decimal_arrives_in_the_request_body_unchanged_and_answers_parse_as_decimal():
    answer = {"Invoices": [{"InvoiceID": "i-1", "Total": 12.3456, "HasErrors": False}]}
    fake = FakeXero(reply(200, answer))
    line = {"Quantity": Decimal("1.0000"), "UnitAmount": Decimal("12.3456")}
    invoice = {"Type": "ACCREC", "LineItems": [line]}
    result = client(fake).put_invoices([invoice], "key-1")
    body = fake.sent[0].body
    assert '"UnitAmount":12.3456' in body and '"Quantity":1.0000' in body
    sent_line = json.loads(body, parse_float=Decimal)["Invoices"][0]["LineItems"][0]
    assert sent_line["UnitAmount"] == Decimal("12.3456")
    assert result[0]["Total"] == Decimal("12.3456") and isinstance(result[0]["Total"], Decimal)


def test_every_call_carries_bearer_tenant_and_json_accept_with_a_timeout():
    fake = FakeXero(reply(200, {"TaxRates": []}))
    client(fake, timeout=(3.0, 7.0)).tax_rates()
    sent = fake.sent[0]
    assert sent.method == "GET" and sent.path == "/api/api.xro/2.0/TaxRates"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["xero-tenant-id"] == TENANT and sent.headers["Accept"] == "application/json"
    assert sent.kwargs["timeout"] == (3.0, 7.0)


def test_put_sends_summarize_errors_false_unitdp_and_the_idempotency_key():
    fake = FakeXero(reply(200, {"Invoices": [{"InvoiceNumber": "1"}, {"InvoiceNumber": "2"}]}))
    client(fake).put_invoices([{"InvoiceNumber": "1"}, {"InvoiceNumber": "2"}], "acct1-co2-invoice-77-ab12")
    sent = fake.sent[0]
    assert sent.method == "PUT" and sent.path == INVOICES
    assert sent.query == {"summarizeErrors": "false", "unitdp": "4"}
    assert sent.headers["Idempotency-Key"] == "acct1-co2-invoice-77-ab12"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.json() == {"Invoices": [{"InvoiceNumber": "1"}, {"InvoiceNumber": "2"}]}


@pytest.mark.parametrize("method,resource,key,unitdp", [
    ("put_contacts", "Contacts", "Contacts", False), ("put_items", "Items", "Items", True),
    ("put_credit_notes", "CreditNotes", "CreditNotes", True)])
def test_each_put_goes_to_its_resource(method, resource, key, unitdp):
    fake = FakeXero(reply(200, {key: [{"n": 1}]}))
    assert getattr(client(fake), method)([{"n": 1}], "k") == [{"n": 1}]
    sent = fake.sent[0]
    assert sent.path.endswith("/" + resource) and sent.json() == {key: [{"n": 1}]}
    assert sent.query.get("summarizeErrors") == "false" and ("unitdp" in sent.query) is unitdp


def test_one_bad_element_comes_back_in_place_without_failing_the_others():
    results = [{"InvoiceNumber": "1", "HasErrors": False},
               {"InvoiceNumber": "2", "HasErrors": True,
                "ValidationErrors": [{"Message": "Invoice # must be unique."}]},
               {"InvoiceNumber": "3", "HasErrors": False}]
    fake = FakeXero(reply(200, {"Invoices": results}))
    assert client(fake).put_invoices([{"InvoiceNumber": n} for n in "123"], "k") == results


def test_more_than_fifty_elements_are_refused_before_anything_is_sent():
    fake = FakeXero(reply(200, {"Invoices": []}))
    with pytest.raises(ValueError, match="50"):
        client(fake).put_invoices([{}] * 51, "k")
    assert client(fake).put_invoices([], "k") == []
    assert fake.sent == []


def test_put_without_an_idempotency_key_is_refused():
    for key in ("", "x" * 129):
        with pytest.raises(ValueError, match="Idempotency-Key"):
            client(FakeXero()).put_contacts([{}], key)


def test_an_answer_with_a_different_number_of_elements_is_a_bad_response():
    fake = FakeXero(reply(200, {"Invoices": [{"InvoiceNumber": "1"}]}))
    with pytest.raises(XeroBadResponse, match="1 Invoices for the 2 sent"):
        client(fake).put_invoices([{}, {}], "k")


# -- error mapping ---------------------------------------------------------------------------

ACCOUNT = "Account code '4999' is not a valid code for this document."
UNIQUE = "Invoice # must be unique."
LOCKED = "The document date cannot be before the period lock date."
VALIDATION_400 = {"ErrorNumber": 10, "Type": "ValidationException",
                  "Message": "A validation exception occurred",
                  "Elements": [{"ValidationErrors": [{"Message": ACCOUNT}, {"Message": UNIQUE}]},
                               {"ValidationErrors": [{"Message": UNIQUE}, {"Message": LOCKED}]}]}


def test_400_carries_every_validation_message_once():
    with pytest.raises(XeroValidationError) as caught:
        client(FakeXero(reply(400, VALIDATION_400))).put_invoices([{}, {}], "k")
    error = caught.value
    assert error.messages == [ACCOUNT, UNIQUE, LOCKED]
    assert "4999" in error.explanation and "lock date" in error.explanation and error.fix
    assert error.status == 400


def test_400_without_elements_uses_the_message():
    body = {"ErrorNumber": 16, "Type": "QueryParseException", "Message": "Syntax error"}
    with pytest.raises(XeroValidationError) as caught:
        client(FakeXero(reply(400, body))).contacts(names=["x"])
    assert caught.value.messages == ["Syntax error"]


@pytest.mark.parametrize("status,body,error,words", [
    (401, {"Title": "Unauthorized", "Detail": "TokenExpired"}, XeroAuthError, "access token"),
    (403, {"Title": "Forbidden", "Detail": "AuthorizationUnsuccessful"}, XeroForbidden, "disconnected"),
    (404, b"The resource you're looking for cannot be found", XeroNotFound, "found nothing"),
    (500, {"Message": "An error occurred in Xero."}, XeroUnavailable, "kept failing"),
    (405, b"", XeroError, "HTTP 405")])
def test_statuses_map_to_typed_errors_with_an_explanation_and_a_fix(status, body, error, words):
    with pytest.raises(error) as caught:
        client(FakeXero(reply(status, body)), max_retries=0).accounts()
    assert words in caught.value.explanation and caught.value.fix and caught.value.status == status


def test_403_says_reconnect():
    with pytest.raises(XeroForbidden) as caught:
        client(FakeXero(reply(403, {"Title": "Forbidden"}))).organisation()
    assert "scope" in caught.value.explanation
    assert caught.value.fix.startswith("Reconnect Xero on the company's page")


@pytest.mark.parametrize("body", [b"<html>gateway</html>", b'{"Invoices": "nope"}', b"[1, 2]", b'{"x": 1}'])
def test_garbage_answers_are_bad_responses(body):
    with pytest.raises(XeroBadResponse) as caught:
        client(FakeXero(reply(200, body))).invoices(numbers=["INV-1"])
    assert caught.value.fix


def test_no_error_text_ever_holds_the_token_or_the_client_secret():
    echo = {"Message": f"bad token {TOKEN} for client {SETTINGS.client_secret}"}
    for status in (400, 401, 403, 404, 500, 418):
        with pytest.raises(XeroError) as caught:
            client(FakeXero(reply(status, echo)), max_retries=0).items()
        text = str(caught.value) + repr(caught.value) + str(caught.value.as_dict())
        assert TOKEN not in text and SETTINGS.client_secret not in text
    assert TOKEN not in repr(client(FakeXero()))


# -- retries ---------------------------------------------------------------------------------

def test_429_waits_for_retry_after_then_succeeds_and_the_limiter_sees_every_attempt():
    limiter, sleeps = Limiter(), []
    fake = FakeXero(reply(429, b"", {"Retry-After": "3", "X-Rate-Limit-Problem": "minute",
                                     "X-MinLimit-Remaining": "0"}),
                    reply(200, {"Accounts": [{"Code": "4000"}]}, {"X-MinLimit-Remaining": "59",
                                                                  "X-DayLimit-Remaining": "4990"}))
    xero = client(fake, sleeps, limiter)
    assert xero.accounts() == [{"Code": "4000"}]
    assert sleeps == [3.0] and xero.calls == 2
    assert [e if isinstance(e, str) else e[0] for e in limiter.events] == \
        ["enter", "observe", "exit", "enter", "observe", "exit"]
    assert limiter.events[1][1]["X-MinLimit-Remaining"] == "0"
    assert limiter.events[4][1]["X-DayLimit-Remaining"] == "4990"


def test_day_limit_is_raised_at_once_without_sleeping():
    sleeps = []
    fake = FakeXero(reply(429, b"", {"Retry-After": "40000", "X-Rate-Limit-Problem": "day"}))
    with pytest.raises(XeroRateLimited) as caught:
        client(fake, sleeps, max_wait=10**9).invoices()
    assert caught.value.problem == "day" and caught.value.retry_after == 40000
    assert sleeps == [] and len(fake.sent) == 1
    assert "daily limit" in caught.value.explanation and "next run" in caught.value.fix


def test_retry_after_beyond_the_policy_wait_is_raised_not_slept():
    sleeps = []
    fake = FakeXero(reply(429, b"", {"Retry-After": "120", "X-Rate-Limit-Problem": "minute"}))
    with pytest.raises(XeroRateLimited) as caught:
        client(fake, sleeps, max_wait=60).tax_rates()
    assert sleeps == [] and caught.value.retry_after == 120 and caught.value.problem == "minute"
    assert "2 minutes" in caught.value.fix


def test_429_retries_are_bounded():
    sleeps = []
    fake = FakeXero(reply(429, b"", {"Retry-After": "1", "X-Rate-Limit-Problem": "concurrent"}))
    with pytest.raises(XeroRateLimited) as caught:
        client(fake, sleeps, max_retries=2).tax_rates()
    assert len(fake.sent) == 3 and sleeps == [1.0, 1.0]
    assert "at once" in caught.value.explanation


def test_429_without_retry_after_backs_off():
    sleeps = []
    fake = FakeXero(reply(429, b""), reply(429, b""), reply(200, {"TaxRates": []}))
    client(fake, sleeps, backoff=0.5).tax_rates()
    assert sleeps == [0.5, 1.0]


def test_5xx_on_a_get_is_retried_with_backoff():
    sleeps = []
    fake = FakeXero(reply(503, b""), reply(502, b""), reply(200, {"Items": []}))
    assert client(fake, sleeps, backoff=0.5).items() == [] and sleeps == [0.5, 1.0]


def test_5xx_on_a_put_is_retried_because_it_carries_its_idempotency_key():
    fake = FakeXero(reply(500, b""), reply(200, {"Contacts": [{"Name": "A"}]}))
    assert client(fake).put_contacts([{"Name": "A"}], "key-7") == [{"Name": "A"}]
    assert [s.headers["Idempotency-Key"] for s in fake.sent] == ["key-7", "key-7"]
    assert fake.sent[0].body == fake.sent[1].body


def test_5xx_that_persists_is_unavailable():
    fake = FakeXero(reply(500, b""))
    with pytest.raises(XeroUnavailable, match="HTTP 500"):
        client(fake, max_retries=2).items()
    assert len(fake.sent) == 3


def test_a_dropped_connection_on_a_get_is_retried():
    sleeps = []
    fake = FakeXero(reply(200, requests.ConnectionError("reset")),
                    reply(200, {"TaxRates": [{"TaxType": "OUTPUT2"}]}))
    xero = client(fake, sleeps)
    assert xero.tax_rates() == [{"TaxType": "OUTPUT2"}] and len(sleeps) == 1 and xero.calls == 2


def test_a_timeout_that_persists_is_unavailable_in_xero_words():
    fake = FakeXero(reply(200, requests.ReadTimeout("slow")))
    with pytest.raises(XeroUnavailable) as caught:
        client(fake, max_retries=1).tax_rates()
    assert len(fake.sent) == 2 and "Xero" in caught.value.explanation and "PSA" not in str(caught.value)


# -- the outbound guard ----------------------------------------------------------------------

@pytest.fixture
def fake_dns(monkeypatch):
    addresses = {"api.xero.test": "93.184.216.34", "inside.xero.test": "10.1.2.3"}

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port or 443))]
        except ValueError:
            pass
        if host not in addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], port or 443))]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("api_url", ["https://inside.xero.test", "https://127.0.0.1:9",
                                     "http://api.xero.test", "https://169.254.169.254"])
def test_the_guard_refuses_private_local_and_plain_http_addresses(fake_dns, api_url):
    settings = dataclasses.replace(SETTINGS, api_url=api_url, allow_local=False)
    fake = FakeXero(reply(200, {"TaxRates": []}))
    with pytest.raises(XeroBlockedTarget) as caught:
        client(fake, settings=settings).tax_rates()
    assert fake.sent == [] and "WISESYNC_XERO_API_URL" in caught.value.fix
    assert "PSA" not in str(caught.value)


def test_the_guard_lets_a_public_https_address_through(fake_dns):
    settings = dataclasses.replace(SETTINGS, api_url="https://api.xero.test", allow_local=False)
    fake = FakeXero(reply(200, {"TaxRates": []}))
    assert client(fake, settings=settings).tax_rates() == []


def test_a_redirect_to_a_private_address_is_refused(fake_dns):
    settings = dataclasses.replace(SETTINGS, api_url="https://api.xero.test", allow_local=False)
    fake = FakeXero(reply(302, b"", {"Location": "https://inside.xero.test/steal"}))
    with pytest.raises(XeroBlockedTarget, match="private or local"):
        client(fake, settings=settings).tax_rates()
    assert len(fake.sent) == 1


def test_allow_local_comes_from_the_settings_not_the_policy(fake_dns):
    settings = dataclasses.replace(SETTINGS, api_url="http://127.0.0.1:9", allow_local=False)
    with pytest.raises(XeroBlockedTarget):
        client(FakeXero(), settings=settings, allow_local=True).tax_rates()


def test_body_larger_than_the_cap_is_a_bad_response():
    fake = FakeXero(reply(200, b"[" + b"1," * 5000 + b"1]"))
    with pytest.raises(XeroBadResponse, match="larger"):
        client(fake, max_body=1000).items()
