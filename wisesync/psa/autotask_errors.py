"""How Autotask's answers become ``PsaError``s, and where each security-level right lives.

Autotask words its failures in an ``{"errors": [...]}`` body, usually with HTTP 500 whatever
went wrong (a missing right, a bad integration code, a bad filter), so the message decides
the error class. Messages are passed in already scrubbed of the secret.
"""
from __future__ import annotations

from wisesync.psa.errors import (PsaAuthError, PsaBadResponse, PsaError, PsaNotFound,
                                 PsaPermissionError, PsaRateLimited, PsaUnavailable)

_LEVEL = ("In Autotask open Admin > Account Settings & Users > Resources/Users (HR) > "
          "Security > Security Levels, edit the security level of the API user, and ")
RIGHTS = {  # entity -> what to tick, in the words of Autotask's security level page
    "Companies": _LEVEL + "under CRM > Object Permissions set Companies (Accounts) View to All.",
    "Contracts": _LEVEL + "under Contracts set Contracts View to All and Contract Visibility to Full.",
    "ContractServices": _LEVEL + "under Contracts set Contracts View to All and Contract "
                                 "Visibility to Full (contract services come with contracts).",
    "Products": _LEVEL + "under Admin allow Products and Services (Inventory > Products View).",
    "Services": _LEVEL + "under Admin allow Products and Services (service catalog).",
    "Invoices": _LEVEL + "under Contracts > Billing allow viewing invoices "
                         "(Approve and Post / Invoices View).",
    "BillingItems": _LEVEL + "under Contracts > Billing allow Approve and Post "
                             "(billing items are the approved charges).",
}
USERNAME_FIX = ("Check the API username: it is the API user's full username (Username (Key)), like "
                "api-user@yourcompany.example, copied from the API user in Autotask, not a person's "
                "login name. Autotask answers an unknown username with an error, not a refused login.")
INTEGRATION_CODE_FIX = ("Use the API tracking identifier of the API user: in Autotask open Admin > "
                        "Resources (Users) > the API user > Security > API Tracking Identifier and copy it "
                        "into Integration code.")
THREADS_FIX = ("Something else is using the same integration code (API tracking identifier) on this endpoint at "
               "the same time — another integration, or a second Wise-Sync server — and Autotask allows 3 "
               "requests at once per tracking identifier and endpoint; Wise-Sync itself keeps to 3 and tried "
               "again. Nothing was changed by the refused request. Try again in a few minutes; if it keeps "
               "happening, give Wise-Sync an API user with its own tracking identifier.")
HOURLY_FIX = ("Wait until the last 60 minutes' usage drops below the limit (it is a rolling hour, shared by "
              "every integration of this Autotask database), then try again; nothing was changed by the "
              "refused request. In Autotask, Admin > Extensions & Integrations > Other Extensions & Tools > "
              "API Activity by Hour shows which integration used the requests.")
LOGIN_FIX = ("Check the API username and secret (copy them again from the API user in Autotask). "
             "The user must be an active API user whose security level is 'API User (API-only)' "
             "with the Web Services API login allowed.")


def error_messages(response) -> list[str]:
    """The texts of an ``{"errors": [...]}`` body (strings or ``{"message": ...}`` objects), or
    of ASP.NET's ``{"Message": ...}`` (Autotask's 405 "does not support http method 'GET'")."""
    if "json" not in (response.headers.get("Content-Type") or ""):
        return []
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        message = body.get("Message") if isinstance(body, dict) else None
        return [str(message)[:500]] if message else []
    texts = []
    for item in errors:
        text = item.get("message") if isinstance(item, dict) else item
        if text:
            texts.append(str(text)[:500])
    return texts


def is_thread_refusal(messages: list[str]) -> bool:
    """Autotask's "The Autotask API thread threshold of 3 threads has been exceeded." (a fourth
    concurrent request on one endpoint; msoukhomlinov/n8n-nodes-autotask PR #107)."""
    said = " ".join(messages).lower()
    return "thread" in said and ("threshold" in said or "limit" in said)


def auth_error(username: str, psa_message: str | None = None) -> PsaAuthError:
    return PsaAuthError(f"Autotask rejected the API username {username} or its secret.",
                        LOGIN_FIX, status=401, psa_message=psa_message)


def zone_error(username: str, status: int, said: str) -> PsaError:
    if status in (404, 500, 400) or "zone" in said.lower():
        return PsaNotFound(
            f"Autotask could not find a zone for the username {username}, so it does not know "
            "that username.", USERNAME_FIX, status=status, psa_message=said or None)
    return PsaUnavailable(f"Autotask's zone lookup answered HTTP {status}.",
                          "Try again in a few minutes; if it persists, set the zone URL by hand.",
                          status=status, psa_message=said or None)


def error_for_body(status: int, messages: list[str], entity: str, username: str,
                   integration_code: str, retry_after: float | None = None) -> PsaError:
    said = " ".join(messages)
    low = said.lower()
    kw = {"status": status, "psa_message": said or None}
    if is_thread_refusal(messages):
        return PsaRateLimited(f"Autotask kept refusing requests to {entity}: more than 3 were running on it at "
                              f"once for this tracking identifier (Autotask said: {said})", THREADS_FIX,
                              retry_after=retry_after, **kw)
    if "adequate permission" in low or "permission" in low or status == 403:
        fix = RIGHTS.get(entity, _LEVEL + f"allow access to {entity}.")
        return PsaPermissionError(
            f"The Autotask API user {username} is not allowed to read {entity}.", fix,
            right=entity, **kw)
    if "integrationcode" in low or "integration code" in low or "tracking identifier" in low:
        return PsaAuthError(
            f"Autotask did not accept the integration code {integration_code!r}.",
            INTEGRATION_CODE_FIX, **kw)
    if status >= 500 and ("could not be found" in low and "user" in low
                          or "zone information could not be determined" in low):
        # Autotask answers an unknown username with a 500 and an errors[] body, not a 401.
        return PsaAuthError(f"Autotask does not know the API username {username}.", USERNAME_FIX, **kw)
    if status == 401:
        return auth_error(username, said or None)
    if "zone" in low or status == 404:
        return PsaNotFound(
            "Autotask could not find that address in the user's zone"
            + (f" (Autotask said: {said})." if said else "."),
            "Clear the zone URL override so Wise-Sync detects the zone from the username, or "
            "check it is the zone's REST address, like https://webservices5.autotask.net/ATServicesRest/.",
            **kw)
    if "threshold" in low or status == 429:
        when = f" Autotask asked to wait {retry_after:g} seconds." if retry_after else ""
        return PsaRateLimited("Autotask refused the request: its hourly API limit for this database (10,000 "
                              "requests in a rolling hour, shared by every integration) is used up"
                              + (f" (Autotask said: {said})." if said else f" (HTTP {status}).") + when,
                              HOURLY_FIX, retry_after=retry_after, **kw)
    if status == 405:
        return PsaBadResponse("Autotask does not accept this kind of request here (HTTP 405)"
                              + (f": {said}" if said else "."),
                              "Nothing was changed in Autotask. Report it to Wise-Sync support with "
                              "Autotask's message below.", **kw)
    if status >= 500 and not messages:
        return PsaUnavailable(f"Autotask kept failing (HTTP {status}).",
                              "Try again in a few minutes; check status.autotask.net.", **kw)
    if status >= 500:
        return PsaUnavailable(f"Autotask refused the request: {said}",
                              "Check the message above; if it is about a filter or field, report it.",
                              **kw)
    return PsaBadResponse(f"Autotask answered HTTP {status}" + (f": {said}" if said else "."),
                          "Check the zone URL points at Autotask's REST API.", **kw)
