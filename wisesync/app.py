"""The application factory: config → extensions → blueprints → errors → cli. No I/O beyond
reading (or, on the very first run, writing) the instance secrets."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "wisesync",
        root_path=str(ROOT / "wisesync"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=(config or {}).get("INSTANCE_PATH") or os.environ.get("WISESYNC_INSTANCE_PATH")
        or str(ROOT / "instance"),
    )
    from wisesync.config import load_config

    load_config(app, config)
    register_logging(app)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_web(app)
    register_errors(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    from wisesync.logs import configure

    configure(app)


def register_extensions(app: Flask) -> None:
    from wisesync import models  # noqa: F401  (every table registered before Alembic looks)
    from wisesync.auth.session import init_login
    from wisesync.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    from wisesync.psadata.search import include_name

    migrate.init_app(app, db, directory=str(ROOT / "migrations"), include_name=include_name)
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)


def register_url_converters(app: Flask) -> None:
    from wisesync.web import init_url_converters

    init_url_converters(app)


def register_blueprints(app: Flask) -> None:
    from wisesync.auth.routes import bp as auth_bp
    from wisesync.companies.routes import bp as companies_bp
    from wisesync.credentials.routes import register as register_credentials
    from wisesync.integrations.routes import register as register_integrations
    from wisesync.psadata.routes import register as register_psadata
    from wisesync.qlink.routes import register as register_qlink
    from wisesync.security.routes import register as register_security
    from wisesync.transactions.routes import register as register_transactions
    from wisesync.users.routes import bp as users_bp
    from wisesync.google.routes import register as register_google
    from wisesync.documents.routes import register as register_documents

    app.register_blueprint(auth_bp)
    app.register_blueprint(users_bp, url_prefix="/users")
    app.register_blueprint(companies_bp, url_prefix="/companies")
    register_credentials(app)
    register_integrations(app)
    register_psadata(app)
    register_qlink(app)
    register_transactions(app)
    register_google(app)
    register_documents(app)
    # Last: it puts throttles on the other features' views by endpoint name.
    register_security(app)


def register_web(app: Flask) -> None:
    from wisesync.web import init_web

    init_web(app)


def register_errors(app: Flask) -> None:
    from wisesync.errors import init_errors

    init_errors(app)


def register_cli(app: Flask) -> None:
    from wisesync.cli import init_cli
    from wisesync.jobs.worker import register_cli as register_jobs_cli

    init_cli(app)
    register_jobs_cli(app)
