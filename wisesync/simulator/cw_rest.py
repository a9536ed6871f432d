"""The simulated ConnectWise Manage REST API: ``login/companyinfo`` and the 3.0 subset.

Served under both ``/v4_6_release/apis/3.0`` and ``/{codebase}apis/3.0`` (``/v2025_1/apis/3.0``),
with ConnectWise's auth (Basic ``companyId+public:private`` plus a ``clientId`` header; the
public/private pair is the demo API member's keys or a member token from
``POST /system/members/{id}/tokens``), paging and the query language of ``cw_query``, error
bodies ``{"code","message","errors"}`` and the faults of ``faults.py`` (``auth`` is a wrong-key
401, ``auth;code=UserNotAuthenticated`` ConnectWise's other 401, ``429`` Cloudflare's rate
limit). API answers carry ConnectWise's vendor media type. The accounting side
(locations, unposted lists, GL export, batches, payments, member tokens) is ``cw_accounting``.
"""
from __future__ import annotations

import base64
import json
import re
import time
from functools import partial

from flask import Flask, Response, g, request

from wisesync.simulator import cw_accounting, cw_data, demo, psa_changes
from wisesync.simulator.cw_books import API_MEMBER, books_for
from wisesync.simulator.cw_list import Collection, count, page, select_fields
from wisesync.simulator.cw_query import ConditionError, normal_args
from wisesync.simulator.faults import denied_rights, dropped_response, find, request_faults

CODEBASES = ("v4_6_release", demo.CW_CODEBASE.rstrip("/"))
JSON = "application/json; charset=utf-8"  # login/companyinfo answers plain JSON
VENDOR_TYPE = "application/vnd.connectwise.com+json"
DEFAULT_VERSION = "2025.1"  # this simulated company's VersionCode (v2025.1)
_VERSION = re.compile(r"application/vnd\.connectwise\.com\+json\s*;\s*version\s*=\s*([\d.]+)", re.I)
# Cloudflare sits in front of ConnectWise cloud and answers a rate limit itself, with a
# Retry-After (pyconnectwise PR #41, "ConnectWise Cloudflare rate limits the API ... waits the
# requested amount of time"). Its body is Cloudflare's, not ConnectWise's {"code","message"}; the
# exact page (here Cloudflare's "error code: 1015" text) is UNVERIFIED for ConnectWise.
CLOUDFLARE_429 = "error code: 1015"


def _body(code: str, message: str, errors: list | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def api_media_type() -> str:
    """ConnectWise answers its API in its vendor media type, in the version asked for in
    ``Accept`` (the fixture's responses: ``application/vnd.connectwise.com+json; version=…``)."""
    asked = _VERSION.search(request.headers.get("Accept", "")) if request else None
    return f"{VENDOR_TYPE}; version={asked[1] if asked else DEFAULT_VERSION}"


def _json(data, status: int = 200, headers: dict | None = None, content_type: str | None = None) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status=status,
                    content_type=content_type or api_media_type(), headers=headers or {})


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
        return _finish(faults, _json(None, content_type=JSON))
    return _finish(faults, _json(content_type=JSON, data={
        "CompanyName": "Wise-Sync Simulated MSP", "Codebase": demo.CW_CODEBASE,
        "VersionCode": "v2025.1", "VersionNumber": "v4.6.108271", "CompanyID": demo.CW_COMPANY_ID,
        "IsCloud": False, "SiteUrl": request.host}))


def _api(state, codebase: str, sub: str):
    faults = request_faults(state.faults, "cw-rest", request)
    early = _transport_faults(faults)
    if early is not None:
        return early
    if not request.headers.get("clientId"):
        # ConnectWise refuses a call without a clientId with a 400 naming "clientId" (mspvectis:
        # 'rejects API calls from unregistered client apps with a 400 and "clientId" in the
        # error'); the rest of the wording is UNVERIFIED.
        return _error(400, "InvalidObject", "clientId is required. Register a clientId at "
                      "developer.connectwise.com and send it in the clientId header.",
                      [{"code": "Required", "message": "clientId is required", "resource": "header",
                        "field": "clientId"}])
    refused = find(faults, "auth")
    actor = None if refused else _identity(state, request.headers.get("Authorization", ""))
    if actor is None:
        if refused and (refused.code or "").lower() == "usernotauthenticated":
            # Keys of a member ConnectWise will not sign in (ConnectWiseManageAPI's
            # Invoke-CWMWebRequest: code "ConnectWiseApi", message "UserNotAuthenticated").
            return _error(401, "ConnectWiseApi", "UserNotAuthenticated")
        # Wrong keys or company: {"code": "Unauthorized", "message": "Incorrect public/private
        # key"} (ConnectWiseManageAPI's "Unauthorized" branch; xyte kb-5017 quotes the message).
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
        # Conditions ConnectWise cannot use: 400 {"code": "ApiFindCondition", "message": …}.
        errors = [] if exc.message.endswith("is not a recognized name.") else [
            {"code": "InvalidCondition", "message": exc.message, "resource": sub, "field": exc.parameter}]
        response = _error(400, exc.code, exc.message, errors)
    return _finish(faults, response)


def _transport_faults(faults):
    slow = find(faults, "slow")
    if slow:
        time.sleep(slow.seconds)
    limited = find(faults, "429")
    if limited:
        return Response(CLOUDFLARE_429, status=429, content_type="text/plain; charset=UTF-8",
                        headers={"Retry-After": f"{limited.retry_after:g}", "Server": "cloudflare"})
    if find(faults, "500"):
        return _error(500, "UnexpectedError", "An unexpected error occurred.")
    return None


def _finish(faults, response: Response) -> Response:
    if response.status_code >= 400:
        return response
    body = response.get_data()
    if find(faults, "malformed"):
        return Response(body[: max(1, len(body) // 2)], status=200, content_type=response.content_type)
    if find(faults, "drop"):
        return dropped_response(body, response.content_type)
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
    changes = psa_changes.for_state(state)

    def seeded(path: str, size: int, get, stamped: bool = True) -> Collection:
        # The seed with /_sim/records' changes over it; ``stamped``: seeds' lastUpdated grows
        # with the id (cw_data.last_updated), so ``lastUpdated>`` can skip to an index.
        return Collection(size, changes.getter("cw", path, get), excluded=changes.deleted("cw", path),
                          changed=partial(changes.changed_ids, "cw", path),
                          first_updated_after=cw_data.first_updated_after if stamped else None)

    return {
        "company/companies": ("companies", seeded("company/companies", companies, cw_data.company)),
        "company/companies/statuses": ("companies", seeded(
            "company/companies/statuses", len(cw_data.COMPANY_STATUSES), cw_data.company_status, False)),
        "company/contacts": ("contacts", seeded("company/contacts", state.size("contacts"), cw_data.contact)),
        "finance/agreements": ("agreements", seeded(
            "finance/agreements", agreements, partial(cw_data.agreement, companies=companies))),
        "procurement/catalog": ("catalog", seeded("procurement/catalog", catalog, cw_data.catalog_item)),
        "procurement/products": ("catalog", seeded("procurement/products", catalog, partial(
            cw_data.product, catalog_size=catalog, agreements=agreements))),
        "system/members": ("system", seeded("system/members", members, cw_data.member)),
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
        fields = normal_args(request.args).get("fields")
        return _json(select_fields(coll.get(index), coll.schema(), fields) if fields else coll.get(index))
    forward = request.headers.get("pagination-type", "").lower() == "forward-only"
    records, link = page(coll, request.args, forward, request.base_url)
    return _json(records, headers={"Link": link} if link else None)
