"""Attachments on Xero invoices, bills and credit notes (plain Python, no Flask).

``PUT /Invoices/{InvoiceID}/Attachments/{FileName}`` (a bill is an ACCPAY invoice, same path)
and ``PUT /CreditNotes/{CreditNoteID}/Attachments/{FileName}``: the body is the file's bytes as
``application/octet-stream`` (the spec's request body; Xero names the type from the file name,
so the name's extension must be the real type's — :mod:`wisesync.documents.filetypes` sees to
it); the answer is the ``Attachments`` envelope. The request goes out
through the client's own transport (guard, timeouts, 429 handling, the shared call budget), so
it counts against the organisation's limits like every other call. Needs the
``accounting.attachments`` scope.
"""
from __future__ import annotations

from urllib.parse import quote

from wisesync.accounting.errors import XeroBadResponse, XeroForbidden, XeroNotFound
from wisesync.accounting.xero import XeroClient
from wisesync.accounting.xero_http import loads, raise_for_response

ENDPOINTS = {"ACCREC": "Invoices", "ACCPAY": "Invoices", "ACCRECCREDIT": "CreditNotes"}
MAX_IDEMPOTENCY_KEY = 128


def _url(client: XeroClient, xero_type: str, document_id: str, file_name: str | None = None) -> str:
    endpoint = ENDPOINTS.get(xero_type)
    if endpoint is None:
        raise ValueError(f"Xero takes no attachments on {xero_type!r} through this client.")
    url = f"{client.settings.accounting_url}/{endpoint}/{quote(document_id, safe='')}/Attachments"
    # Xero's advice: leave the file name's characters as they are except brackets; quote() keeps
    # letters, digits and "-._~" and encodes the rest, which Xero decodes back.
    return url if file_name is None else f"{url}/{quote(file_name, safe='')}"


def _headers(client: XeroClient, extra: dict | None = None) -> dict:
    # XeroClient keeps its token private; attachments need a raw body, which its JSON
    # request() cannot send, so the same headers are built here from the same client.
    return {"Authorization": f"Bearer {client._token}", "xero-tenant-id": client.tenant_id,  # noqa: SLF001
            "Accept": "application/json", **(extra or {})}


def _forbidden_fix(exc: XeroForbidden) -> XeroForbidden:
    exc.explanation = ("Xero refused the attachment: the company's Xero connection was made without the "
                       "attachments permission (accounting.attachments), or the organisation was disconnected.")
    exc.fix = ("Reconnect Xero on the company's page (Companies → the company → Xero → Reconnect Xero) and "
               "allow every permission Xero asks for, then click Send again beside the file.")
    return exc


def list_attachments(client: XeroClient, xero_type: str, document_id: str) -> list[dict]:
    """``[{AttachmentID, FileName, MimeType, ContentLength, ...}]`` of the document."""
    transport = client._transport  # noqa: SLF001 — see _headers
    what = "the attachments of the Xero document"
    response = transport.send("GET", _url(client, xero_type, document_id), idempotent=True, what=what,
                              headers=_headers(client))
    try:
        raise_for_response(transport, response, what)
    except XeroForbidden as exc:
        raise _forbidden_fix(exc) from None
    body = loads(response)
    items = body.get("Attachments") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise XeroBadResponse("Xero answered the attachment list in an unexpected shape.", "Try again.")
    return [a for a in items if isinstance(a, dict)]


def put_attachment(client: XeroClient, xero_type: str, document_id: str, file_name: str, content: bytes,
                   idempotency_key: str) -> dict:
    """Attach ``content`` to the document; returns Xero's attachment (``AttachmentID`` …).

    Raises :class:`~wisesync.accounting.errors.XeroValidationError` when Xero refuses the file,
    :class:`XeroForbidden` (with the reconnect fix) without the scope, :class:`XeroNotFound`
    when the document is gone, or another :class:`XeroError`.
    """
    if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ValueError(f"An Idempotency-Key of 1 to {MAX_IDEMPOTENCY_KEY} characters is required.")
    transport = client._transport  # noqa: SLF001 — see _headers
    what = f"the attachment {file_name}"
    response = transport.send("PUT", _url(client, xero_type, document_id, file_name), idempotent=True,
                              what=what, data=content,
                              headers=_headers(client, {"Content-Type": "application/octet-stream",
                                                        "Idempotency-Key": idempotency_key}))
    if response.status_code == 413:
        from wisesync.accounting.errors import XeroValidationError

        raise XeroValidationError(f"Xero refused {what}: it is larger than Xero takes (10 MB).",
                                  "Attach a smaller file (a scan at a lower resolution, or the PDF split).",
                                  status=413)
    try:
        raise_for_response(transport, response, what)
    except XeroForbidden as exc:
        raise _forbidden_fix(exc) from None
    except XeroNotFound as exc:
        exc.explanation = "Xero no longer has the document this file was for (deleted or voided in Xero)."
        exc.fix = "Sync the record again, then attach the file to the new document."
        raise
    body = loads(response)
    items = body.get("Attachments") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise XeroBadResponse("Xero answered the attachment without its details.",
                              "Look at the document in Xero: the file may be there already.")
    return items[0]
