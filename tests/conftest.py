"""Fixtures shared by every test: the app on a fresh database, a client, a login helper.

``WISESYNC_TEST_DB=postgresql`` (set by scripts/test for its second pass) runs the
database tests on the PostgreSQL server at ``WISESYNC_TEST_POSTGRES_URL``; each xdist worker
gets a database of its own. Tests that never touch the database run only in the SQLite pass.
"""
from __future__ import annotations

import contextvars
import os

import pytest
from flask.testing import FlaskClient
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tests.builders import DEFAULT_PASSWORD

TEST_DB = os.environ.get("WISESYNC_TEST_DB", "sqlite")
SECRETS_KEY = Fernet.generate_key().decode()


def pytest_collection_modifyitems(config, items):
    if TEST_DB != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        uses_db = "app" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("sqlite_only")
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _postgres_admin(base: str):
    from wisesync.config import normalize_database_url

    return sa.create_engine(normalize_database_url(base), isolation_level="AUTOCOMMIT")


def _postgres_database(worker: str):
    """A database of its own for this run and worker (runs in parallel must not share one)."""
    base = os.environ.get("WISESYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
    name = f"wisesync_test_{run}_{worker}"
    admin = _postgres_admin(base)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL pass asked for, but the server at {base} is not reachable: {exc}")
    finally:
        admin.dispose()
    from wisesync.config import normalize_database_url

    return base, name, normalize_database_url(base.rsplit("/", 1)[0] + "/" + name)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    if TEST_DB != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    base, name, url = _postgres_database(worker_id)
    yield url
    admin = _postgres_admin(base)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Build the schema once per worker through the real Alembic migrations."""
    from flask_migrate import upgrade

    from wisesync.app import create_app

    app = create_app(_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        from wisesync.extensions import db

        db.engine.dispose()
    return database_url


def _config(database_url, instance_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "WISESYNC_SECRETS_KEYS": [SECRETS_KEY],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SERVER_NAME": None,
        # Off for page tests; the CSRF and throttling tests switch them back on.
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }


class IsolatedClient(FlaskClient):
    """Runs every request in a fresh context, as a real server does.

    pytest-flask keeps one app context open for the whole test; without this, requests would
    share ``g`` (Flask-Login's cached user) and one database session, hiding real behaviour.
    Afterwards the test's own session is expired so it reads what the request wrote.
    """

    def __enter__(self):  # pytest-flask's ``with client``: never preserve request contexts
        return self

    def __exit__(self, *exc):
        return None

    def open(self, *args, **kwargs):
        if getattr(self, "_isolated", False):  # a redirect followed inside an isolated request
            return super().open(*args, **kwargs)
        kwargs.setdefault("buffered", True)  # close the app iterator inside that context
        self._isolated = True
        try:
            response = contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            self._isolated = False
        from wisesync.extensions import db

        db.session.expire_all()
        return response


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize) to change settings for its app."""
    return {}


@pytest.fixture
def app(_schema, tmp_path, app_config):
    from wisesync.app import create_app
    from wisesync.extensions import db

    app = create_app({**_config(_schema, tmp_path / "instance"), **app_config})
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        _wipe(db)
        db.engine.dispose()


def _wipe(db) -> None:
    """Empty every table (children first) so the next test starts from nothing."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in through the real login form."""

    def do_login(user, password: str = DEFAULT_PASSWORD):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do_login


@pytest.fixture(scope="session")
def psa_sim():
    """The PSA simulator on a free loopback port (200 records of each kind), shared per worker.

    Tests that set faults on its board must clear them (use ``sim_faults``)."""
    from wisesync.simulator.server import RunningSim

    with RunningSim(records=200) as sim:
        yield sim


@pytest.fixture
def sim_faults(psa_sim):
    """The simulator's fault board, cleared before and after the test."""
    psa_sim.state.faults.clear()
    yield psa_sim.state.faults
    psa_sim.state.faults.clear()
