"""Simulated Xero attachments on invoices, bills and credit notes (the spec's
``/Invoices/{InvoiceID}/Attachments[/{FileName}]`` and ``/CreditNotes/{CreditNoteID}/…``; a bill
is an ACCPAY invoice, so it uses the Invoices path).

- ``GET …/Attachments``: ``{"Attachments": [{AttachmentID, FileName, Url, MimeType,
  ContentLength, IncludeOnline}]}`` (the spec's ``Attachments`` schema).
- ``PUT …/Attachments/{FileName}`` (create) and ``POST`` (the spec's "update"), body = the raw
  bytes (``application/octet-stream`` in the spec; the answer's ``MimeType`` comes from the file
  name's extension), ``IncludeOnline``, ``Idempotency-Key``; answers the
  ``Attachments`` envelope with the one stored. The same ``FileName`` again replaces that
  attachment (Xero's behaviour as Linx's Xero connector documents it).
- ``GET …/Attachments/{FileName}``: the bytes.

Rules (Xero's words are not public for any of these, so the messages are ours — UNVERIFIED):
at most 10 attachments per document (Xero's developer community announcement of attachments,
and Workato's and Linx's connectors), at most 10 MB per file (Codat's Xero limits, raised from
3 MB in 2026; 413 beyond), an empty body or no Content-Type is a 400, and file types outside the
list Xero announced (bmp csv doc docx gif jpeg jpg odf pdf png ppt pptx rar rtf tif tiff txt xls
xlsx zip, plus eml msg odt ods 7z keynote numbers pages from Codat's list) are a 400. The scope is
``accounting.attachments`` (``.read`` for GETs), as the spec declares.

What arrived is kept per organisation (``org.attachments``, gone with ``reset``), with every PUT
or POST counted in ``org.attachment_writes``; ``attachments(org)`` feeds
``/_sim/xero/<tenant-id>/documents`` (``"attachments"``: metadata, sha256 and write count, no
bytes).
"""
from __future__ import annotations

import hashlib
import mimetypes
import os
import time
import uuid
from functools import partial
from urllib.parse import quote

from flask import Flask, Response, request

from wisesync.simulator.faults import find
from wisesync.simulator.xero_api import BASE, _envelope
from wisesync.simulator.xero_http import (bearer, faults_for, finish, forbidden, json_response, not_found,
                                          problem, transport_faults)
from wisesync.simulator.xero_state import IDEMPOTENCY_LIFETIME, Remembered, attach

MAX_FILE = 10 * 1024 * 1024
MAX_PER_DOCUMENT = 10
ALLOWED = frozenset("7z bmp csv doc docx eml gif jpeg jpg keynote msg numbers odf ods odt pages pdf png ppt "
                    "pptx rar rtf tif tiff txt xls xlsx zip".split())
_PARENTS = {"Invoices": "invoices", "CreditNotes": "credit_notes"}


def register(app: Flask, state) -> None:
    attach(state)
    for parent in _PARENTS:
        view = partial(_attachments, state, parent)
        app.add_url_rule(f"{BASE}/{parent}/<doc_id>/Attachments", f"xero_{parent}_attachments",
                         view, methods=["GET"])
        app.add_url_rule(f"{BASE}/{parent}/<doc_id>/Attachments/<path:file_name>",
                         f"xero_{parent}_attachment", view, methods=["GET", "PUT", "POST"])


def store(org) -> dict[str, list[dict]]:
    return org.__dict__.setdefault("attachments", {})


def attachments(org) -> list[dict]:
    """Every attachment the organisation holds, for the test listing (no bytes)."""
    writes = org.__dict__.get("attachment_writes", {})
    return [{"DocumentID": doc_id, **_public(a), "Sha256": a["sha256"],
             "Writes": writes.get((doc_id, a["FileName"].lower()), 0)}
            for doc_id, items in store(org).items() for a in items]


def _public(a: dict) -> dict:
    return {k: a[k] for k in ("AttachmentID", "FileName", "Url", "MimeType", "ContentLength", "IncludeOnline")}


def _attachments(state, parent: str, doc_id: str, file_name: str | None = None):
    faults = faults_for(state)
    early = transport_faults(faults)
    if early is not None:
        return early
    access, refused = bearer(state, faults)
    if refused is not None:
        return refused
    tenant_id = request.headers.get("xero-tenant-id", "").strip().lower()
    if find(faults, "deny") or tenant_id not in access.grant.connections:
        return forbidden()
    scopes = set(access.grant.scope.split())
    write = request.method != "GET"
    if "accounting.attachments" not in scopes and (write or "accounting.attachments.read" not in scopes):
        return forbidden("AuthorizationUnsuccessful")
    org = state.xero.orgs[tenant_id]
    verdict = state.xero.limiter.enter(tenant_id, org.limits)
    if verdict.problem:
        return problem(429, "Too Many Requests", f"Rate limit exceeded: {verdict.problem}", {
            **verdict.headers, "Retry-After": str(verdict.retry_after), "X-Rate-Limit-Problem": verdict.problem})
    try:
        with org.lock:
            document = getattr(org, _PARENTS[parent]).get(doc_id.lower()) or getattr(org, _PARENTS[parent]).get(doc_id)
            if document is None:
                response = not_found()
            elif not write:
                response = _read(state, org, doc_id, file_name)
            else:
                response = _write(state, org, tenant_id, parent, document, doc_id, file_name or "")
    finally:
        state.xero.limiter.leave(tenant_id)
    response.headers.update(verdict.headers)
    return finish(faults, response)


def _read(state, org, doc_id: str, file_name: str | None) -> Response:
    items = store(org).get(doc_id, [])
    if file_name is None:
        return json_response(_envelope(state, "Attachments", [_public(a) for a in items]))
    found = next((a for a in items if a["FileName"].lower() == file_name.lower()), None)
    if found is None:
        return not_found()
    return Response(found["content"], content_type=found["MimeType"])


def _refused(message: str) -> Response:
    return json_response({"ErrorNumber": 10, "Type": "ValidationException", "Message": message}, 400)


def _write(state, org, tenant_id: str, parent: str, document: dict, doc_id: str, file_name: str) -> Response:
    if request.content_length is not None and request.content_length > MAX_FILE:
        return problem(413, "Request Entity Too Large", "The attachment exceeds 10 MB")
    body = request.get_data()
    if len(body) > MAX_FILE:
        return problem(413, "Request Entity Too Large", "The attachment exceeds 10 MB")
    idem = request.headers.get("Idempotency-Key")
    fingerprint = hashlib.sha256(request.method.encode() + request.path.lower().encode() + body).hexdigest()
    if idem is not None:
        remembered = state.xero.idempotency.get((tenant_id, idem))
        if remembered and remembered.stored_at + IDEMPOTENCY_LIFETIME > state.xero.now():
            if remembered.fingerprint != fingerprint:
                return _refused("This Idempotency-Key has already been used with a different request")
            return Response(remembered.body, status=remembered.status, content_type="application/json; charset=utf-8")
    sent_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
    extension = os.path.splitext(file_name)[1].lower().lstrip(".")
    if not file_name.strip() or "/" in file_name:
        return _refused("A file name is required")
    if not body:
        return _refused("The attachment is empty")
    if not sent_type:
        return _refused("A Content-Type header is required")
    # The spec's body is application/octet-stream; Xero names the type from the file name
    # (its examples answer "image/jpg" for a .jpg), whatever Content-Type was sent.
    mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    if extension not in ALLOWED:
        return _refused(f"Files of type .{extension or '(none)'} cannot be attached")
    items = store(org).setdefault(doc_id, [])
    same = next((a for a in items if a["FileName"].lower() == file_name.lower()), None)
    if same is None and len(items) >= MAX_PER_DOCUMENT:
        return _refused(f"A document can have at most {MAX_PER_DOCUMENT} attachments")
    include_online = request.args.get("IncludeOnline", "false").lower() == "true"
    record = {"AttachmentID": same["AttachmentID"] if same else str(uuid.uuid4()), "FileName": file_name,
              "Url": f"https://api.xero.com/api.xro/2.0/{parent}/{doc_id}/Attachments/{quote(file_name)}",
              "MimeType": mime, "ContentLength": len(body), "IncludeOnline": include_online,
              "content": body, "sha256": hashlib.sha256(body).hexdigest(), "received_at": time.time()}
    if same is not None:
        items[items.index(same)] = record
    else:
        items.append(record)
    writes = org.__dict__.setdefault("attachment_writes", {})
    writes[(doc_id, file_name.lower())] = writes.get((doc_id, file_name.lower()), 0) + 1
    document["HasAttachments"] = True
    response = json_response(_envelope(state, "Attachments", [_public(record)]))
    if idem is not None:
        state.xero.idempotency[(tenant_id, idem)] = Remembered(
            fingerprint, state.xero.now(), response.status_code, response.get_data(as_text=True))
    return response
