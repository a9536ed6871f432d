"""The sync pages (DESIGN §10.6): the companies, a company's review, starting a run, its
progress (HTML or JSON), and the ledger history. ``POST /sync/<company>/payments`` starts a
payment run (Xero payments back to the PSA, :mod:`.payments_run`), followed on the same
``/sync/runs/<run-id>`` page.

Any signed-in person of the account, for the companies they may sync (admins: every one;
users: those ticked on their page). Another account's company or run is a 404; a company of
this account that is not ticked for a user is a 403.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from wisesync.auth.access import client_ip, current_actor
from wisesync.transactions import history, payments_run, services
from wisesync.transactions.forms import SyncForm
from wisesync.transactions.models import LEDGER_STATES
from wisesync.web import MAX_ID

bp = Blueprint("transactions", __name__)


def register(app) -> None:
    from wisesync.transactions.run import register_tasks

    app.register_blueprint(bp, url_prefix="/sync")
    register_tasks(app)
    payments_run.register_tasks(app)


def _company(company_id: int):
    try:
        return services.company_for(current_user, company_id)
    except services.NotFound:
        abort(404)
    except services.NotAllowed as exc:
        abort(403, description=str(exc))


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.get("/", strict_slashes=False)
@login_required
def index():
    return render_template("transactions/index.html", overview=services.overview(current_user))


@bp.get("/<int:company_id>")
@login_required
def review(company_id: int):
    company = _company(company_id)
    return render_template("transactions/review.html", company=company,
                           review=services.review_for(company, current_user),
                           running=services.active_run(company.id), form=SyncForm(formdata=None))


@bp.post("/<int:company_id>")
@login_required
def start(company_id: int):
    company = _company(company_id)
    form = SyncForm()
    if not form.validate():
        problems = [*form.form_errors, *form.records.errors, *form.all.errors]
        return render_template("transactions/refused.html", company=company, problems=problems,
                               refused=[]), 400
    try:
        run, started = services.start_sync(company, current_actor(), None if form.sync_all else form.keys,
                                           ip=client_ip())
    except services.SelectionRefused as exc:
        return render_template("transactions/refused.html", company=company, problems=[exc.summary],
                               refused=exc.refused), 400
    except services.PsaUnreadable as exc:
        return render_template("transactions/refused.html", company=company, problems=[str(exc)],
                               refused=[]), 503
    if not started:
        flash(f"A sync of {company.name} is already running; here is its progress.", "info")
    return redirect(url_for("transactions.run", run_id=run.id), code=303)


@bp.post("/<int:company_id>/payments")
@login_required
def payments(company_id: int):
    """*Sync payments now*: the same people as a sync; one run (of either kind) per company."""
    company = _company(company_id)
    run, started = payments_run.start_payments(company, actor=current_actor(), ip=client_ip())
    if not started:
        flash(f"A {'payment sync' if run.purpose == 'payments' else 'sync'} of {company.name} is already "
              "running; here is its progress. Sync payments again once it has finished.", "info")
    return redirect(url_for("transactions.run", run_id=run.id), code=303)


@bp.get("/runs/<int:run_id>")
@login_required
def run(run_id: int):
    try:
        found = services.run_for(current_user, run_id)
    except services.NotFound:
        abort(404)
    except services.NotAllowed as exc:
        abort(403, description=str(exc))
    paying = found.purpose == payments_run.PURPOSE
    progress = payments_run.progress(found) if paying else services.progress(found)
    if _wants_json():
        response = jsonify(progress)
        response.headers["Cache-Control"] = "no-store"
        return response
    company = services.company_of(found)
    if paying:
        return render_template("transactions/payments_run.html", run=found, progress=progress, company=company,
                               started_by=services.started_by(found),
                               links=payments_run.run_links(found, company))
    return render_template("transactions/run.html", run=found, progress=progress, company=company,
                           started_by=services.started_by(found), links=services.run_links(found, company))


@bp.get("/history")
@login_required
def ledger():
    companies = services.companies_for(current_user)
    allowed = {c.id: c for c in companies}
    raw_company, state = request.args.get("company", "").strip(), request.args.get("state", "").strip()
    company_id = None
    if raw_company:
        # Ids beyond the database integer (2**31 - 1) name no company; PostgreSQL raises on them.
        if not raw_company.isdigit() or len(raw_company) > 10 or int(raw_company) > MAX_ID:
            abort(400, description="company must be the id of a company you may sync.")
        company_id = int(raw_company)
        if company_id not in allowed:
            _company(company_id)  # another account's: 404; not ticked for this user: 403
    if state and state not in history.FILTER_STATES:
        abort(400, description=f"state must be one of {', '.join(history.FILTER_STATES)}.")
    q = request.args.get("q", "").strip()[:100]
    page = request.args.get("page", 1, type=int) or 1
    result = history.ledger_page(list(allowed), company_id=company_id, state=state, q=q, page=page)
    links = {entry.id: payments_run.document_link(company, entry) if entry.kind == payments_run.KIND
             else history.document_link(company, entry) for entry, company in result.items}
    return render_template("transactions/history.html", result=result, companies=companies, links=links,
                           states=history.FILTER_STATES, ledger_states=LEDGER_STATES)
