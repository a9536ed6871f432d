"""What ConnectWise SOAP failures mean for a Wise-Sync user, and how to fix them.

The wording names Wise-Sync's own fields (the ConnectWise Member section of a user, Integration
Settings), so nobody is left with the PSA's raw "Username is a required field.". Nothing here
ever includes the member password: PSA text is scrubbed before it is kept.
"""
from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlsplit

import zeep.exceptions
from lxml import etree

from wisesync.psa.errors import (PsaAuthError, PsaBadResponse, PsaConfigError, PsaError, PsaNotFound,
                                 PsaPermissionError, PsaUnavailable, scrub)

ACCOUNTING_RIGHT = "Accounting Interface"
_MEMBER_FIX = ("Enter the Member ID (the ConnectWise username of the member, e.g. jsmith) and the "
               "member password in the ConnectWise Member section of this user, then test again.")


def missing_member_id() -> PsaConfigError:
    return PsaConfigError("The ConnectWise Member ID is not set for this user.", _MEMBER_FIX)


def missing_member_password(member_id: str) -> PsaConfigError:
    return PsaConfigError(
        "The ConnectWise member password is not set for this user.",
        f"Enter the password member {member_id or '(not set)'} uses to log in to ConnectWise in the "
        "ConnectWise Member section of this user, then test again.")


def missing_company_id() -> PsaConfigError:
    return PsaConfigError(
        "The ConnectWise company ID is not set in Integration Settings.",
        "An account administrator enters the Company ID (the company typed on the ConnectWise "
        "login page) under Integrations > ConnectWise, then test again.")


def login_failed(member_id: str, psa_message: str | None = None) -> PsaAuthError:
    return PsaAuthError(
        f"ConnectWise refused the login of member {member_id}.",
        "Check the Member ID and member password in the ConnectWise Member section of this user "
        "against the member in ConnectWise (System > Members): the password must be the one that "
        "member logs in with, the member must not be inactive, and the Company ID in Integration "
        "Settings must match your ConnectWise company.", psa_message=psa_message)


def company_not_found(psa_message: str | None = None) -> PsaNotFound:
    return PsaNotFound(
        "ConnectWise does not know the company ID given in Integration Settings.",
        "An account administrator corrects the Company ID under Integrations > ConnectWise: it is "
        "the company typed on the ConnectWise login page.", psa_message=psa_message)


def permission_missing(member_id: str, psa_message: str | None = None) -> PsaPermissionError:
    return PsaPermissionError(
        f"Member {member_id} logged in, but their security role lacks the {ACCOUNTING_RIGHT} right.",
        "In ConnectWise open System > Security Roles, pick this member's role, and under Finance set "
        f"{ACCOUNTING_RIGHT} to Inquire Level All; then test again.",
        right=ACCOUNTING_RIGHT, psa_message=psa_message)


def from_fault(message: str, code: str, member_id: str) -> PsaError:
    """Map a SOAP fault (already scrubbed of the password) to the error a person can act on."""
    text = message.lower()
    if "username is a required field" in text or "loginid is a required field" in text:
        return missing_member_id()
    if "password is a required field" in text:
        return missing_member_password(member_id)
    if "does not have permission" in text or "security role" in text or "not authorized" in text:
        return permission_missing(member_id, message)
    if any(word in text for word in ("login", "incorrect", "username or password", "inactive",
                                     "authenticat")):
        return login_failed(member_id, message)
    if "company" in text and any(word in text for word in ("not found", "cannot find", "unknown", "invalid")):
        return company_not_found(message)
    if "server" in (code or "").lower():
        return PsaUnavailable("ConnectWise reported an internal error and could not answer.",
                              "Try again in a few minutes; if it keeps happening, contact ConnectWise "
                              "support with the PSA message below.", status=500, psa_message=message)
    return PsaError(f"ConnectWise refused the call: {message}",
                    "Check the settings above; if they are right, contact support with this message.",
                    psa_message=message)


@contextmanager
def mapped(operation: str, member_id: str, password: str, address: str):
    """Turn zeep's exceptions raised inside the block into ``PsaError``s."""
    host = urlsplit(address).hostname
    try:
        yield
    except PsaError:
        raise
    except zeep.exceptions.Fault as exc:
        raise from_fault(scrub(exc.message, password), exc.code or "", member_id) from None
    except zeep.exceptions.TransportError as exc:
        status = exc.status_code
        if status == 200:
            raise PsaBadResponse(
                f"ConnectWise at {host} answered {operation} with XML that cannot be read.",
                "Try again; if it persists, check the site address points at ConnectWise itself "
                "(not a proxy or login page).", status=status) from None
        if status == 404:
            error = PsaNotFound(f"{host} has no ConnectWise SOAP service at {urlsplit(address).path}.",
                                "Check the ConnectWise site in Integration Settings.", status=status)
            error.soap_absent = True  # see connectwise_soap.soap_absent
            raise error from None
        if status in (401, 403):
            raise login_failed(member_id) from None
        raise PsaUnavailable(
            f"ConnectWise at {host} failed with HTTP {status} and no SOAP answer.",
            "Try again in a few minutes; if it keeps happening, check ConnectWise's status page.",
            status=status) from None
    except (zeep.exceptions.XMLSyntaxError, zeep.exceptions.XMLParseError, etree.XMLSyntaxError) as exc:
        raise PsaBadResponse(
            f"ConnectWise at {host} answered {operation} with XML that cannot be read.",
            "Try again; if it persists, contact support.") from exc
    except (zeep.exceptions.ValidationError, TypeError) as exc:
        detail = scrub(getattr(exc, "message", None) or str(exc), password)
        raise PsaConfigError(f"The {operation} request could not be built: {detail}",
                             "Check the arguments against the WSDL.") from None
    except zeep.exceptions.Error as exc:
        raise PsaBadResponse(f"ConnectWise's answer to {operation} did not match the WSDL.",
                             "Try again; if it persists, contact support.") from exc
