"""Pulled PSA data: customers, agreements, products (any signed-in user of the account)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from wisesync.psadata import services
from wisesync.psadata.models import PsaAgreement, PsaCustomer, PsaProduct

bp = Blueprint("psadata", __name__)
MODELS = {"psadata.customers": PsaCustomer, "psadata.agreements": PsaAgreement, "psadata.products": PsaProduct}


def register(app) -> None:
    app.register_blueprint(bp, url_prefix="/psa")


def _list(template: str, lister):
    """A keyset page (``after``/``before`` a row's key, or ``last``), with search and sort. A
    damaged page link shows the first page with a 400 and says so."""
    args = request.args
    q = args.get("q", "").strip()[:100]
    page = args.get("page", 1, type=int) or 1
    if page > 1 and not (args.get("after") or args.get("before")):  # an old ?page=N link
        key = services.legacy_page_key(MODELS[request.endpoint], current_user.account_id, q, min(page, 100_000))
        target = {"q": q or None, "after": key} if key else {"q": q or None, "last": 1}
        return redirect(url_for(request.endpoint, **target))
    at = services.Position(after=args.get("after", "")[:400], before=args.get("before", "")[:400],
                           last=args.get("last") == "1", sort=args.get("sort", "name"))
    try:
        result, status, problem = lister(current_user.account_id, q, at), 200, None
    except services.BadKey:
        result, status = lister(current_user.account_id, q, services.Position(sort=at.sort)), 400
        problem = "That page link is damaged (it was edited or cut short), so this is the first page."
    return render_template(template, result=result, problem=problem), status


@bp.get("/customers")
@login_required
def customers():
    return _list("psadata/customers.html", services.customers)


@bp.get("/agreements")
@login_required
def agreements():
    return _list("psadata/agreements.html", services.agreements)


@bp.get("/products")
@login_required
def products():
    return _list("psadata/products.html", services.products)
