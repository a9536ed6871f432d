"""The simulated ConnectWise Manage REST API: ``login/companyinfo`` and the 3.0 subset.

Served under both ``/v4_6_release/apis/3.0`` and ``/{codebase}apis/3.0`` (``/v2025_1/apis/3.0``),
with ConnectWise's auth (Basic ``companyId+public:private`` plus a ``clientId`` header; the
public/private pair is the demo API member's keys or a member token from
``POST /system/members/{id}/tokens``), paging, ``conditions``, error bodies
``{"code","message","errors"}`` and the faults of ``faults.py``. The accounting side
(locations, unposted lists, GL export, batches, payments, member tokens) is ``cw_accounting``.
"""
from __future__ import annotations

import base64
import json
import re
import time
from functools import partial

from flask import Flask, Response, g, request

from wisesync.simulator import cw_accounting, cw_data, demo
from wisesync.simulator.cw_books import API_MEMBER, books_for
from wisesync.simulator.cw_query import Collection, ConditionError, count, page
from wisesync.simulator.faults import denied_rights, dropped_response, find, request_faults

CODEBASES = ("v4_6_release", demo.CW_CODEBASE.rstrip("/"))
JSON = "application/json; charset=utf-8"


def _body(code: str, message: str, errors: list | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status=status, content_type=JSON,
                    headers=headers or {})


def _error(status: int, code: str, message: str, errors=None, headers=None) -> Response:
    return _json(_body(code, message, errors), status, headers)


def register(app: Flask, state) -> None:
    books_for(state)  # state.cw_books: batches, payments, member tokens
    app.add_url_rule("/login/companyinfo/<company_id>", "cw_companyinfo",
                     partial(_companyinfo, state))
    app.add_url_rule(f"/<any({', '.join(CODEBASES)}):codebase>/apis/3.0/<path:sub>", "cw_rest",
                     partial(_api, state), methods=["GET", "POST", "DELETE"])


def _companyinfo(state, company_id: str):
    faults = request_faults(state.faults, "cw-rest", request)
    early = _transport_faults(faults)
    if early is not None:
        return early
    if company_id.lower() != demo.CW_COMPANY_ID:
        return _finish(faults, _json(None))
    return _finish(faults, _json({
        "CompanyName": "Wise-Sync Simulated MSP", "Codebase": demo.CW_CODEBASE,
        "VersionCode": "v2025.1", "VersionNumber": "v4.6.108271", "CompanyID": demo.CW_COMPANY_ID,
        "IsCloud": False, "SiteUrl": request.host}))


def _api(state, codebase: str, sub: str):
    faults = request_faults(state.faults, "cw-rest", request)
    early = _transport_faults(faults)
    if early is not None:
        return early
    if not request.headers.get("clientId"):
        return _error(400, "InvalidObject", "clientId is required. Register a clientId at "
                      "developer.connectwise.com and send it in the clientId header.",
                      [{"code": "Required", "message": "clientId is required", "resource": "header",
                        "field": "clientId"}])
    actor = None if find(faults, "auth") else _identity(state, request.headers.get("Authorization", ""))
    if actor is None:
        return _error(401, "Unauthorized", "Incorrect public/private key")
    g.cw_actor = actor
    route = cw_accounting.route(state, request.method, sub.strip("/")) or \
        _route(state, request.method, sub.strip("/"))
    if route is None:
        return _error(404, "NotFound", f"/{sub} was not found")
    right, handler = route
    rights = {right} if isinstance(right, str) else set(right)
    if rights & denied_rights(faults):
        return _error(403, "Security", "You do not have security permission to perform this action.")
    try:
        response = handler()
    except ConditionError as exc:
        response = _error(400, "InvalidObject", "conditions is invalid",
                          [{"code": "InvalidCondition", "message": str(exc), "resource": sub,
                            "field": "conditions"}])
    return _finish(faults, response)


def _transport_faults(faults):
    slow = find(faults, "slow")
    if slow:
        time.sleep(slow.seconds)
    limited = find(faults, "429")
    if limited:
        return _error(429, "TooManyRequests", "Too many requests, slow down.",
                      headers={"Retry-After": f"{limited.retry_after:g}"})
    if find(faults, "500"):
        return _error(500, "UnexpectedError", "An unexpected error occurred.")
    return None


def _finish(faults, response: Response) -> Response:
    if response.status_code >= 400:
        return response
    body = response.get_data()
    if find(faults, "malformed"):
        return Response(body[: max(1, len(body) // 2)], status=200, content_type=JSON)
    if find(faults, "drop"):
        return dropped_response(body, JSON)
    return response


def _identity(state, header: str) -> str | None:
    """The member a Basic header signs in as: the API member for the demo keys, the token's
    member for a member token's keys, None when refused."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, secret = base64.b64decode(token, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    company, _, public = user.partition("+")
    if company.lower() != demo.CW_COMPANY_ID or not public or not secret:
        return None
    if public == demo.CW_PUBLIC_KEY and secret == demo.CW_PRIVATE_KEY:
        return API_MEMBER
    return books_for(state).member_for(public, secret)


def member_count(state) -> int:
    return max(0, state.sizes.get("members", min(state.records, max(5, state.records // 10))))


def _collections(state) -> dict[str, tuple[str, Collection]]:
    companies, agreements, catalog = (state.size(k) for k in ("companies", "agreements", "catalog"))
    members = member_count(state)
    return {
        "company/companies": ("companies", Collection(companies, cw_data.company)),
        "company/contacts": ("contacts", Collection(state.size("contacts"), cw_data.contact)),
        "finance/agreements": ("agreements", Collection(
            agreements, partial(cw_data.agreement, companies=companies))),
        "procurement/catalog": ("catalog", Collection(catalog, cw_data.catalog_item)),
        "procurement/products": ("catalog", Collection(catalog, partial(
            cw_data.product, catalog_size=catalog, agreements=agreements))),
        "system/members": ("system", Collection(members, cw_data.member)),
    }


_ADDITIONS = re.compile(r"finance/agreements/(\d+)/additions(?:/(count|\d+))?")
_ITEM = re.compile(r"(.+?)(?:/(count|\d+))?")


def _route(state, method: str, sub: str):
    """(right, handler) for this path, or None. Rights match the fault ``right`` names."""
    if method != "GET":
        return None
    if sub == "system/info":
        return "system", lambda: _json(cw_data.system_info())
    collections = _collections(state)
    match = _ADDITIONS.fullmatch(sub)
    if match:
        parent, tail = int(match[1]), match[2]
        if not 1 <= parent <= state.size("agreements"):
            return "agreements", lambda: _error(404, "NotFound", f"Agreement recId {parent} not found")
        first = (parent - 1) * cw_data.ADDITIONS_PER_AGREEMENT
        coll = Collection(cw_data.ADDITIONS_PER_AGREEMENT,
                          partial(cw_data.addition, parent, catalog_size=state.size("catalog")), id_is_index=False)
        if tail and tail != "count":
            tail = str(int(tail) - first) if 0 < int(tail) - first <= coll.size else "0"
        return "agreements", partial(_serve, coll, tail, "Addition")
    match = _ITEM.fullmatch(sub)
    if not match or match[1] not in collections:
        return None
    right, coll = collections[match[1]]
    return right, partial(_serve, coll, match[2], match[1].rsplit("/", 1)[-1])


def _serve(coll: Collection, tail: str | None, noun: str) -> Response:
    if tail == "count":
        return _json({"count": count(coll, request.args)})
    if tail is not None:
        index = int(tail)
        if not 1 <= index <= coll.size or index in coll.excluded:
            return _error(404, "NotFound", f"{noun} recId {tail} not found")
        return _json(coll.get(index))
    forward = request.headers.get("pagination-type", "").lower() == "forward-only"
    records, link = page(coll, request.args, forward, request.base_url)
    return _json(records, headers={"Link": link} if link else None)
