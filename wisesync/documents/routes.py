"""Attach document: the page of one record's documents (``/documents/<company>/<kind>/<psa-id>``),
reached from a ledger row on ``/sync/history`` and a row of the review. Who may sync the company
may attach to its records (the same check as ``/sync/<company>``); Drive is always the person's own.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from wisesync.auth.access import client_ip, current_actor
from wisesync.documents import sending, services
from wisesync.documents.filetypes import ALLOWED_LABEL, MAX_LABEL, DocumentRefused
from wisesync.documents.forms import DriveForm, DriveSearchForm, UploadForm
from wisesync.documents.models import TransactionAttachment
from wisesync.extensions import db
from wisesync.google import services as google
from wisesync.google.errors import GoogleError, GoogleTokenRevoked
from wisesync.transactions import services as sync_services
from wisesync.web import allow_large_body

bp = Blueprint("documents", __name__)
# A 15 MB file must reach the size check (a 400 that says so), not die as a bare 413.
UPLOAD_BODY = 24 * 1024 * 1024


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/documents")
    sending.register()


def _record(company_id: int, kind: str, psa_id: str) -> services.Record:
    try:
        company = sync_services.company_for(current_user, company_id)
        return services.record_for(company, kind, psa_id, request.args.get("number", "")[:64])
    except (sync_services.NotFound, services.UnknownRecord):
        abort(404)
    except sync_services.NotAllowed as exc:
        abort(403, description=str(exc))


def _page(rec: services.Record, *, upload=None, drive=None, status: int = 200, drive_error: str = ""):
    search = DriveSearchForm(request.args, meta={"csrf": False})
    files, next_token, problem = [], "", drive_error
    gstatus = google.status_for(current_user, show_email=True) if google.google_configured() else None
    if gstatus and gstatus.connected and not gstatus.needs_reconnect and not problem:
        after = search.after.data if search.validate() else None
        try:
            files, next_token = services.search_drive(
                current_user, name=search.q.data or "", kind=search.type.data or "",
                modified_after=datetime.combine(after, datetime.min.time()) if after else None,
                page_token=request.args.get("page", "")[:50])
        except GoogleError as exc:
            problem = f"{exc.explanation} {exc.fix}".strip()
        gstatus = google.status_for(current_user, show_email=True)
    return render_template(
        "documents/attach.html", rec=rec, attachments=services.attachments_for(rec),
        upload=upload or UploadForm(formdata=None), drive=drive or DriveForm(formdata=None), search=search,
        files=files, next_token=next_token, google_status=gstatus, drive_problem=problem,
        allowed=ALLOWED_LABEL, max_label=MAX_LABEL), status


def _after_attach(rec: services.Record, att: TransactionAttachment):
    if rec.in_xero:
        sending.enqueue(rec.company.id)
        db.session.expire_all()
        att = db.session.get(TransactionAttachment, att.id)
        if att.state == "sent":
            flash(f"{att.file_name} is attached and was sent to Xero with {rec.number}.", "success")
        else:
            flash(f"{att.file_name} is attached; it goes to Xero as soon as Xero takes it"
                  + (f" ({att.reason})" if att.reason else "") + ".", "info")
    else:
        flash(f"{att.file_name} is attached; it goes to Xero when {rec.number} syncs.", "success")
    return redirect(url_for("documents.record", company_id=rec.company.id, kind=rec.kind, psa_id=rec.psa_id,
                            number=rec.hint or None), 303)


@bp.get("/<int:company_id>/<kind>/<psa_id>")
@login_required
def record(company_id: int, kind: str, psa_id: str):
    return _page(_record(company_id, kind, psa_id))


@bp.post("/<int:company_id>/<kind>/<psa_id>/upload")
@allow_large_body(UPLOAD_BODY)
@login_required
def upload(company_id: int, kind: str, psa_id: str):
    rec = _record(company_id, kind, psa_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(rec, upload=form, status=400)
    storage = form.file.data
    try:
        att = services.attach_upload(rec, current_actor(), filename=storage.filename or "", content=storage.read(),
                                     ip=client_ip())
    except DocumentRefused as exc:
        form.file.errors = [exc.message]
        return _page(rec, upload=form, status=400)
    return _after_attach(rec, att)


@bp.post("/<int:company_id>/<kind>/<psa_id>/drive")
@login_required
def from_drive(company_id: int, kind: str, psa_id: str):
    rec = _record(company_id, kind, psa_id)
    form = DriveForm()
    if not form.validate_on_submit():
        return _page(rec, drive=form, status=400)
    try:
        att = services.attach_from_drive(rec, current_actor(), file_id=form.file_id.data, ip=client_ip())
    except DocumentRefused as exc:
        form.file_id.errors = [exc.message]
        return _page(rec, drive=form, status=400)
    except GoogleTokenRevoked as exc:
        form.file_id.errors = [f"Reconnect Google: {exc.explanation} {exc.fix}"]
        return _page(rec, drive=form, status=400, drive_error=form.file_id.errors[0])
    except GoogleError as exc:
        form.file_id.errors = [f"{exc.explanation} {exc.fix}".strip()]
        return _page(rec, drive=form, status=400 if exc.status and exc.status < 500 else 502)
    return _after_attach(rec, att)


@bp.post("/attachments/<int:attachment_id>/retry")
@login_required
def retry(attachment_id: int):
    att = db.session.get(TransactionAttachment, attachment_id)
    if att is None or att.account_id != current_user.account_id:
        abort(404)
    rec = _record(att.company_id, att.kind, att.psa_id)
    if att.state == "failed":
        services.retry(att, current_actor(), ip=client_ip())
        if rec.in_xero:
            sending.enqueue(rec.company.id)
        flash(f"{att.file_name} will be sent to Xero again.", "info")
    return redirect(url_for("documents.record", company_id=rec.company.id, kind=rec.kind, psa_id=rec.psa_id,
                            number=rec.hint or None), 303)
