"""What the simulated Xero's endpoints share: JSON answers, Xero's problem bodies, bearer-token
checks and the faults of ``faults.py`` (target ``xero``).

Xero's 401 and 403 bodies, as clients have quoted them (pyxero PR #337, xeroizer PR #509,
xero-python issue #116, nango issue #203):
``{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: token expired at
04/09/2023 05:16:59","Instance":"<uuid>","Extensions":{}}`` and
``{"Type":null,"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful",...}``
(also for a missing ``xero-tenant-id``). UNVERIFIED: the Detail for a token that is not expired
but unknown or revoked (here "AuthenticationUnsuccessful"), the 403 Detail for a missing scope
(here "AuthorizationUnsuccessful"), and the bodies of 404, 413, 429 and 500 (here the same
problem shape).
"""
from __future__ import annotations

import time
import uuid

from flask import Response, request

from wisesync.simulator.faults import dropped_response, find, request_faults
from wisesync.simulator.xero_format import dumps

JSON = "application/json; charset=utf-8"


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(body), status=status, content_type=JSON, headers=headers or {})


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> Response:
    return json_response({"Type": None, "Title": title, "Status": status, "Detail": detail,
                          "Instance": str(uuid.uuid4()), "Extensions": {}}, status, headers)


def unauthorized(reason: str) -> Response:
    if reason.startswith("expired:"):
        detail = "TokenExpired: token expired at " + reason.split(":", 1)[1]
    else:
        detail = "AuthenticationUnsuccessful"
    return problem(401, "Unauthorized", detail, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def forbidden(detail: str = "AuthenticationUnsuccessful") -> Response:
    return problem(403, "Forbidden", detail)


def not_found() -> Response:
    return problem(404, "Not Found", "The resource you're looking for cannot be found")


def faults_for(state) -> list:
    return request_faults(state.faults, "xero", request)


def transport_faults(faults, slow_now: bool = True) -> Response | None:
    """The faults that answer before any work: ``slow`` (unless the caller sleeps later, inside
    its rate-limit slot), ``429`` and ``500``."""
    slow = find(faults, "slow")
    if slow and slow_now:
        time.sleep(slow.seconds)
    limited = find(faults, "429")
    if limited:
        return problem(429, "Too Many Requests", "Rate limit exceeded", {
            "Retry-After": f"{max(1, round(limited.retry_after))}", "X-Rate-Limit-Problem": "minute"})
    if find(faults, "500"):
        return problem(500, "Internal Server Error", "An error occurred in Xero.")
    return None


def finish(faults, response: Response) -> Response:
    """``malformed`` (half a body) and ``drop`` (connection closed mid-body) on good answers."""
    if response.status_code >= 400 or response.direct_passthrough:
        return response
    body = response.get_data()
    if find(faults, "malformed"):
        return Response(body[: max(1, len(body) // 2)], status=response.status_code,
                        content_type=response.content_type, headers=_keep(response))
    if find(faults, "drop"):
        dropped = dropped_response(body, response.content_type)
        dropped.headers.extend(_keep(response))
        return dropped
    return response


def _keep(response: Response) -> dict:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("x-")}


def bearer(state, faults) -> tuple[object | None, Response | None]:
    """(access token record, None) for a good ``Authorization: Bearer``; (None, 401) otherwise."""
    if find(faults, "auth"):
        return None, unauthorized("expired:" + time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime()))
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, unauthorized("invalid")
    found, reason = state.xero.grants.access(token.strip())
    if found is None:
        return None, unauthorized(reason)
    return found, None
