"""Pulled PSA data: customers, agreements, products (any signed-in user of the account)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from wisesync.psadata import services

bp = Blueprint("psadata", __name__)


def register(app) -> None:
    app.register_blueprint(bp, url_prefix="/psa")


def _args() -> tuple[str, int]:
    return request.args.get("q", "").strip()[:100], request.args.get("page", 1, type=int) or 1


@bp.get("/customers")
@login_required
def customers():
    q, page = _args()
    return render_template("psadata/customers.html", result=services.customers(current_user.account_id, q, page))


@bp.get("/agreements")
@login_required
def agreements():
    q, page = _args()
    return render_template("psadata/agreements.html", result=services.agreements(current_user.account_id, q, page))


@bp.get("/products")
@login_required
def products():
    q, page = _args()
    return render_template("psadata/products.html", result=services.products(current_user.account_id, q, page))
