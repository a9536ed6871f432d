from flask import Blueprint

bp = Blueprint("companies", __name__)


@bp.get("/")
def index():  # replaced by the companies feature
    return "companies"
