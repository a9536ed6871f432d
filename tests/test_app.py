"""The factory, configuration and migrations as a whole."""
from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from wisesync.app import create_app
from wisesync.config import normalize_database_url


@pytest.mark.parametrize("given,expected", [
    ("postgresql://u:p@db/wise", "postgresql+psycopg://u:p@db/wise"),
    ("postgres://u:p@db/wise", "postgresql+psycopg://u:p@db/wise"),
    ("postgresql+psycopg://u@db/wise", "postgresql+psycopg://u@db/wise"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_is_accepted_as_users_write_it(given, expected):
    assert normalize_database_url(given) == expected


def test_first_run_generates_secrets_once_with_private_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("WISESYNC_SECRETS_KEYS", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(dict(config))
    second = create_app(dict(config))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 48
    assert first.config["WISESYNC_SECRETS_KEYS"] == second.config["WISESYNC_SECRETS_KEYS"]
    for name in ("secret_key", "secrets_keys"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600, f"{name} is readable by others: {oct(mode)}"


def test_secrets_from_environment_win_over_generated_ones(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("WISESYNC_SECRETS_KEYS", f"{key}, ")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["WISESYNC_SECRETS_KEYS"] == [key]
    assert not (tmp_path / "secret_key").exists()


def test_creating_the_app_creates_no_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'boot.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "x", "WISESYNC_SECRETS_KEYS": ["x" * 43 + "="]})
    app.test_client().get("/static/css/app.css")
    assert sa.inspect(sa.create_engine(url)).get_table_names() == []


def test_migrations_match_the_models(app):
    """Every model change comes with its migration: autogenerate finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from wisesync.extensions import db
    from wisesync.psadata.search import include_name

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_testing_mode_keeps_csrf_and_throttling_on(tmp_path):
    """TESTING only makes pulls run in-process; security switches stay as in production."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "x", "WISESYNC_SECRETS_KEYS": ["x" * 43 + "="]})
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("RATELIMIT_ENABLED", True) is True
    assert app.test_client().post("/login", data={"username": "a@b.example", "password": "x"}).status_code == 400


def test_migrations_are_one_line_that_downgrades_and_upgrades_cleanly(tmp_path):
    """One head, so a plain ``flask db upgrade`` works; every revision can be undone."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "x", "WISESYNC_SECRETS_KEYS": ["x" * 43 + "="]})
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1
        upgrade()
        downgrade(revision="base")
        assert sa.inspect(sa.create_engine(url)).get_table_names() == ["alembic_version"]
        upgrade()
    assert "users" in sa.inspect(sa.create_engine(url)).get_table_names()
