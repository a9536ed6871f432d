"""The Autotask REST subset: zone lookup, ThresholdInformation, Version and seven entities.

Served under ``/atservicesrest/v1.0/`` in any letter case (Autotask's own URLs mix
``ATServicesRest``/``atservicesrest`` and ``V1.0``/``v1.0``). Like the real API it checks the
``UserName``/``Secret``/``ApiIntegrationCode`` headers on every call but the zone lookup and
reports most problems as HTTP 500 with ``{"errors": [...]}``, as the real API does (apigrate's
autotask-restapi maintainer, issue #19: an invalid username is a 500, not a 401; a valid username
with a wrong secret a 401; valid credentials with a wrong integration code a 500). The 401 has a
text body, as IIS sends it. The zone lookup answers this simulator's own URL as the zone.

``nextPageUrl`` (``…/{entity}/query/next?paging=…``) only takes a POST with the query's body; a
GET is a 405 ``{"Message": "The requested resource does not support http method 'GET'."}``
(WYRE-AI/autotask-mcp PR #170, reproduced on a live tenant; the same body for a GET on an
entity's root in Anteris-Dev/autotask-client issue #12).

Wording: "Zone information could not be determined" (unknown user at the zone lookup) and
"IntegrationCode is invalid." are the strings py-autotask's client matches in ``errors``; the
second is also the SOAP API's wording (python-atws issue #64). What a REST call with an unknown
username says is UNVERIFIED (no public source quotes it): the simulator says the user was not found.

Limits (:mod:`.at_limits`): a fourth concurrent request on one endpoint and every request past
10,000 in the rolling hour are refused with HTTP 429 and ``errors[]``.
"""
from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from flask import Response, request
from werkzeug.routing import BaseConverter

from wisesync.simulator import at_data, at_fields, at_invoices, at_query, demo, psa_changes
from wisesync.simulator.at_limits import HOURLY_EXCEEDED, THRESHOLD, AtSimStats
from wisesync.simulator.faults import denied_rights, dropped_response, find, request_faults

PERMISSION_ERROR = "User does not have the adequate permissions to query this entity."
ZONE_UNKNOWN = "Zone information could not be determined"
INTEGRATION_CODE_ERROR = "IntegrationCode is invalid."
UNKNOWN_USER = "The user could not be found."  # wording UNVERIFIED
GET_NOT_ALLOWED = "The requested resource does not support http method 'GET'."
_ENTITIES = {name.lower(): name for name in at_data.ENTITIES}
_FIELDS = {name: set(at_data.record(name, 0, 1)) for name in at_data.ENTITIES}
_USERS = {demo.AT_API_USERNAME.lower(): demo.AT_API_SECRET,
          demo.AT_RESOURCE_USERNAME.lower(): demo.AT_RESOURCE_PASSWORD}


class _Root(BaseConverter):
    regex = r"(?i:atservicesrest)"


class _Version(BaseConverter):
    regex = r"(?i:v1\.0)"


def register(app, state) -> None:
    app.url_map.converters["at_root"] = _Root
    app.url_map.converters["at_version"] = _Version
    stats = app.extensions["at_sim"] = state.at_limits = AtSimStats()

    def dispatch(root, version, rest):
        parts = [p for p in rest.split("/") if p]
        endpoint = _ENTITIES.get(parts[0].lower(), parts[0]) if parts else ""
        refused = stats.enter(endpoint)  # the thread and hourly limits (at_limits)
        if refused is not None:
            return _errors(refused, status=429)
        try:
            # reads see PATCH/PUT /Invoices made so far, and the records changed or deleted
            # through /_sim/records
            with at_invoices.applied(state), psa_changes.applied(psa_changes.for_state(state)):
                return _answer(state, stats, parts)
        finally:
            stats.leave(endpoint)

    def version_information(root):
        return _json({"apiVersions": ["1.0"]})

    app.add_url_rule("/<at_root:root>/<at_version:version>/<path:rest>", "autotask_rest", dispatch,
                     methods=["GET", "POST", "PATCH", "PUT"])
    app.add_url_rule("/<at_root:root>/versioninformation", "autotask_versions", version_information)
    app.add_url_rule("/<at_root:root>/VersionInformation", "autotask_versions_cased",
                     version_information)


def _answer(state, stats, parts):
    faults = request_faults(state.faults, "at", request)
    slow = find(faults, "slow")
    if slow:
        time.sleep(slow.seconds)
    if find(faults, "drop") is None and find(faults, "malformed"):
        return Response('{"items": [{"id": 1, "companyName": "Trunc', status=200,
                        content_type="application/json; charset=utf-8")
    response = _route(state, stats, parts, faults)
    if find(faults, "drop") and response.status_code == 200:
        return dropped_response(response.get_data(), response.content_type)
    return response


def _route(state, stats, parts, faults):
    head = parts[0].lower() if parts else ""
    if head == "zoneinformation" and len(parts) == 1 and request.method == "GET":
        return _zone()
    refused = _refuse(faults)
    if refused is not None:
        return refused
    if head == "thresholdinformation" and len(parts) == 1:
        return _json({"externalRequestThreshold": THRESHOLD, "requestThresholdTimeframe": 60,
                      "currentTimeframeRequestCount": stats.requests})
    if head == "version" and len(parts) == 1:
        return _json({"majorVersion": "2025", "minorVersion": "3", "build": "2025.3.0.112",
                      "customerType": "Sim"})
    entity = _ENTITIES.get(head)
    if entity is None:
        return Response("The resource you are looking for has been removed, had its name changed, "
                        "or is temporarily unavailable.", status=404, content_type="text/html")
    if {entity.lower(), "all"} & {r.lower() for r in denied_rights(faults)}:
        return _errors(PERMISSION_ERROR)
    tail = [p.lower() for p in parts[1:]]
    if request.method in ("PATCH", "PUT"):
        return at_invoices.write(state, entity, tail)
    if tail == ["entityinformation", "fields"] and at_fields.fields(entity) is not None:
        return _json(at_fields.fields(entity))
    if len(tail) == 1 and tail[0] != "query" and request.method == "GET":
        return _item(state, entity, tail[0])
    if tail == ["query"]:
        return _query(state, entity, _query_model())
    if tail == ["query", "next"]:
        if request.method != "POST":
            return _json({"Message": GET_NOT_ALLOWED}, status=405)
        return _next(state, entity)
    if tail == ["query", "count"]:
        query = _query_model()
        if isinstance(query, Response):
            return query
        try:
            at_query.validate(entity, query.get("filter") or [], _FIELDS[entity])
        except at_query.QueryError as exc:
            return _errors(str(exc))
        return _json({"queryCount": at_query.count(entity, query.get("filter") or [], state.records)})
    return Response("Not found", status=404, content_type="text/html")


def _zone():
    user = (request.args.get("user") or "").lower()
    if user not in _USERS:
        # Autotask answers an unknown user with a 500 and an errors list, not a 404.
        return _errors(ZONE_UNKNOWN)
    host = request.host_url
    return _json({"zoneName": demo.AT_ZONE_NAME, "url": f"{host}ATServicesRest/", "webUrl": host,
                  "ci": 99})


def _refuse(faults):
    """401 for bad credentials (a plain body, as IIS sends it), 429 when the threshold is hit."""
    user = (request.headers.get("UserName") or "").lower()
    secret = request.headers.get("Secret") or ""
    if user not in _USERS and not find(faults, "auth"):
        return _errors(UNKNOWN_USER)  # Autotask: an unknown username is a 500, not a 401
    if find(faults, "auth") or not secret or _USERS.get(user) != secret:
        return Response("401 - Unauthorized: Access is denied due to invalid credentials.",
                        status=401, content_type="text/html")
    if request.headers.get("ApiIntegrationCode") != demo.AT_INTEGRATION_CODE:
        return _errors(INTEGRATION_CODE_ERROR)
    limited = find(faults, "429")
    if limited:
        response = _errors(HOURLY_EXCEEDED, status=429)
        response.headers["Retry-After"] = f"{limited.retry_after:g}"
        return response
    if find(faults, "500"):
        return Response("Internal Server Error", status=500, content_type="text/plain")
    return None


def _query_model():
    """The query from a POST body or from ``search=`` on a GET (the fixture's two forms)."""
    raw = request.get_data(as_text=True) if request.method == "POST" else request.args.get("search")
    try:
        query = json.loads(raw) if raw else {}
    except ValueError:
        return _errors("The query could not be read: it is not valid JSON.")
    if not isinstance(query, dict):
        return _errors("The query must be a JSON object.")
    # Autotask accepts both spellings (its own example uses "MaxRecords"/"Filter").
    return {key[:1].lower() + key[1:]: value for key, value in query.items()}


def _query(state, entity, query, start=0, previous=()):
    if isinstance(query, Response):
        return query
    filters = query.get("filter") or []
    try:
        at_query.validate(entity, filters, _FIELDS[entity])
        size = int(query.get("maxRecords") or at_query.MAX_RECORDS)
    except (at_query.QueryError, TypeError, ValueError) as exc:
        return _errors(str(exc) if isinstance(exc, at_query.QueryError) else "maxRecords must be a number.")
    size = max(1, min(size, at_query.MAX_RECORDS))
    include = query.get("includeFields") or []
    try:
        include = at_query.included(entity, include, _FIELDS[entity])
    except at_query.QueryError as exc:
        return _errors(str(exc))
    items, next_start = at_query.page(entity, filters, state.records, size, start)
    if include:
        items = [{name: item.get(name) for name in include} for item in items]
    search = json.dumps({"filter": filters, "maxRecords": size, **({"includeFields": include} if include else {})},
                        separators=(",", ":"))
    this_id = at_data.BASE_IDS[entity] + start
    details = {"count": len(items), "requestCount": size, "prevPageUrl": None, "nextPageUrl": None}
    if next_start is not None:
        details["nextPageUrl"] = _page_url(entity, size, [*previous, this_id][-50:],
                                           at_data.BASE_IDS[entity] + next_start, search)
    if previous:
        details["prevPageUrl"] = _page_url(entity, size, list(previous[:-1]), previous[-1], search)
    return _json({"items": items, "pageDetails": details})


def _page_url(entity, size, previous, next_id, search) -> str:
    paging = json.dumps({"pageSize": size, "previousIds": previous, "nextIds": [next_id]},
                        separators=(",", ":"))
    query = urlencode({"paging": paging, "search": search})
    return f"{request.host_url}ATServicesRest/V1.0/{entity}/query/next?{query}"


def _next(state, entity):
    try:
        paging = json.loads(request.args["paging"])
        next_id = int(paging["nextIds"][0])
        previous = tuple(int(x) for x in paging.get("previousIds") or [])
        search = json.loads(request.args.get("search") or "{}")
    except (KeyError, IndexError, TypeError, ValueError):
        return _errors("The paging information is not valid.")
    start = at_data.index_of(entity, next_id, state.records)
    if start is None:
        return _errors("The paging information is not valid.")
    body = _query_model()  # the POST carries the query's body again
    if isinstance(body, Response):
        return body
    if body.get("filter") is not None:
        search["filter"] = body["filter"]
    if body.get("includeFields") is not None:
        search["includeFields"] = body["includeFields"]
    search["maxRecords"] = paging.get("pageSize", search.get("maxRecords"))
    return _query(state, entity, search, start, previous)


def _item(state, entity, raw_id):
    try:
        index = at_data.index_of(entity, int(raw_id), state.records)
    except ValueError:
        return _errors(f"The value '{raw_id}' is not valid for id.")
    item = None if index is None else at_query.record(entity, index, state.records)
    return _json({"item": item})  # Autotask answers an unknown id with 200 and a null item


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status,
                    content_type="application/json; charset=utf-8")


def _errors(*messages: str, status: int = 500) -> Response:
    return _json({"errors": list(messages)}, status=status)
