"""Settings, read once from the environment (DESIGN §8).

Secrets that are not given are generated into the instance folder on first run, so a fresh
install needs no configuration; production passes them in the environment instead.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$")


def parse_embed_origins(raw: str) -> list[str]:
    """``WISESYNC_EMBED_ORIGINS``: origins separated by spaces or commas, as CSP wants them.

    A trailing slash is dropped (people paste URLs); anything that is not ``scheme://host[:port]``
    (``*.`` wildcard allowed) stops the start, because a bad value in ``frame-ancestors``
    silently breaks embedding or, worse, allows it everywhere.
    """
    origins = []
    for item in re.split(r"[\s,]+", raw or ""):
        item = item.strip().rstrip("/")
        if not item:
            continue
        if not _ORIGIN.match(item):
            raise ValueError(f"WISESYNC_EMBED_ORIGINS: {item!r} is not an origin like "
                             "https://na.myconnectwise.net")
        origins.append(item.lower())
    return origins


def parse_public_url(raw: str) -> str:
    """``WISESYNC_PUBLIC_URL``: ``scheme://host[:port][/path]`` without a trailing slash.

    Anything else (no scheme, a query, userinfo, a fragment) stops the start: every link that
    leaves the portal is built from it, and ``TRUSTED_HOSTS`` is its host.
    """
    value = (raw or "").strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    try:
        parts.port
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.username is not None or parts.query or parts.fragment or "\\" in value
            or any(c.isspace() for c in value)):
        raise ValueError(f"WISESYNC_PUBLIC_URL: {raw!r} is not an address like "
                         "https://wisesync.example.com (or https://example.com/wisesync)")
    return value


def normalize_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` as users write them; drive them with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_secret(instance_path: str, filename: str, make) -> str:
    """Return the secret kept in ``instance_path/filename``, creating it (mode 0600) on first use.

    Several processes start at once on a fresh install (``scripts/serve --demo`` starts the web
    process and the simulator together; gunicorn starts workers): the secret is written whole to
    a private temporary file and then hard-linked into place, which fails if another process got
    there first — then that process's secret is the one, so every process uses the same key and
    none ever reads a half-written file."""
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{filename}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(value + "\n")
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text().strip()  # another process created it first: use theirs
    finally:
        os.unlink(temporary)
    log.warning("Generated %s in the instance folder; set it in the environment for production.", filename)
    return value


GOOGLE_SETTINGS = ("WISESYNC_GOOGLE_CLIENT_ID", "WISESYNC_GOOGLE_CLIENT_SECRET", "WISESYNC_GOOGLE_AUTHORIZE_URL",
                   "WISESYNC_GOOGLE_TOKEN_URL", "WISESYNC_GOOGLE_REVOKE_URL", "WISESYNC_GOOGLE_USERINFO_URL",
                   "WISESYNC_GOOGLE_DRIVE_URL")


class Config:
    """Defaults for a single-server install; every value can come from the environment."""

    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in by load_config()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None
    WISESYNC_SECRETS_KEYS: list[str] = []
    WISESYNC_ALLOW_LOCAL_PSA = False
    WISESYNC_EMBED_ORIGINS: list[str] = []
    WISESYNC_PASSWORD_MIN_LENGTH = 8
    WISESYNC_AUTOTASK_ZONE_LOOKUP_URL = (
        "https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation"
    )
    WISESYNC_PROXY_FIX = 0  # number of trusted proxies in front (X-Forwarded-*)
    WISESYNC_SESSION_IDLE_MINUTES = 8 * 60
    WISESYNC_SESSION_MAX_HOURS = 7 * 24
    REDIS_URL = ""
    # Explicit: Flask-Limiter otherwise inherits "enabled" from the last app bound to the shared
    # limiter (config.setdefault(..., self.enabled)), so one app switching it off switched all.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "wisesync"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: per-process limits, not a 500
    # Throttles (Flask-Limiter strings); see wisesync/security/limits.py for what each covers.
    WISESYNC_LIMIT_LOGIN = "10 per minute;60 per hour"
    WISESYNC_LIMIT_VERIFY = "10 per minute"
    WISESYNC_LIMIT_RESET = "5 per minute;30 per hour"
    WISESYNC_LIMIT_QLINK = "30 per minute"
    WISESYNC_LIMIT_CONNECTIVITY = "10 per minute"
    WISESYNC_MAIL_BACKGROUND = True  # send mail off the request thread
    WISESYNC_JOBS = "embedded"  # embedded (SQLite huey) | redis | immediate (tests)
    # The external base URL (https://wisesync.example.com): links that leave the request —
    # mail, QLinks to copy, OAuth redirect URIs — are built from it, never from the Host header.
    WISESYNC_PUBLIC_URL = ""
    # Once WISESYNC_PUBLIC_URL is set, TRUSTED_HOSTS is its host plus these (e.g. the name a
    # load balancer's health check uses); requests for any other Host get a 400.
    WISESYNC_TRUSTED_HOSTS: list[str] = []
    # Xero (DESIGN §10.8): the self-hoster's own Xero app; endpoints overridable for the simulator.
    WISESYNC_XERO_CLIENT_ID = ""
    WISESYNC_XERO_CLIENT_SECRET = ""
    WISESYNC_XERO_AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
    WISESYNC_XERO_IDENTITY_URL = "https://identity.xero.com"
    WISESYNC_XERO_API_URL = "https://api.xero.com"
    # Google (issue 15): each person's own Google account, for documents from Drive; the
    # self-hoster's own OAuth client, endpoints overridable for the simulator.
    WISESYNC_GOOGLE_CLIENT_ID = ""
    WISESYNC_GOOGLE_CLIENT_SECRET = ""
    WISESYNC_GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
    WISESYNC_GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
    WISESYNC_GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
    WISESYNC_GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
    WISESYNC_GOOGLE_DRIVE_URL = "https://www.googleapis.com/drive/v3"
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = False
    MAIL_DEFAULT_SENDER = "wise-sync@localhost"
    # Request bodies (Flask 3.1): the largest form is a few KB. A bigger body gets a 413 before
    # anything reads it (no spooling to disk ahead of the CSRF check); a route that takes
    # uploads raises it for itself alone (wisesync.web.allow_large_body).
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    MAX_FORM_PARTS = 1000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_PARTITIONED = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    TESTING = False


class TestingConfig(Config):
    """``TESTING=True``: pulls run in-process and the local simulator may be called.

    CSRF and throttling stay on, as in production; a test suite that wants them off says so
    (this project's fixtures do, and switch them back on where they are under test)."""

    TESTING = True
    WISESYNC_ALLOW_LOCAL_PSA = True
    WISESYNC_JOBS = "immediate"


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config`` from :class:`Config`, the environment, then ``overrides``."""
    overrides = dict(overrides or {})
    base = TestingConfig if overrides.get("TESTING") else Config
    app.config.from_object(base)
    env = os.environ
    c = app.config
    c["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
        env.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'wisesync.sqlite3'}"
    )
    c["WISESYNC_ALLOW_LOCAL_PSA"] = _flag("WISESYNC_ALLOW_LOCAL_PSA", c["WISESYNC_ALLOW_LOCAL_PSA"])
    c["WISESYNC_EMBED_ORIGINS"] = parse_embed_origins(env.get("WISESYNC_EMBED_ORIGINS", ""))
    c["WISESYNC_PASSWORD_MIN_LENGTH"] = _int("WISESYNC_PASSWORD_MIN_LENGTH", 8)
    c["WISESYNC_AUTOTASK_ZONE_LOOKUP_URL"] = env.get(
        "WISESYNC_AUTOTASK_ZONE_LOOKUP_URL", c["WISESYNC_AUTOTASK_ZONE_LOOKUP_URL"]
    )
    c["WISESYNC_PROXY_FIX"] = _int("WISESYNC_PROXY_FIX", 0)
    c["PREFERRED_URL_SCHEME"] = env.get("PREFERRED_URL_SCHEME") or c.get("PREFERRED_URL_SCHEME", "http")
    c["MAX_CONTENT_LENGTH"] = _int("WISESYNC_MAX_REQUEST_BYTES", c["MAX_CONTENT_LENGTH"])
    c["WISESYNC_SESSION_IDLE_MINUTES"] = _int("WISESYNC_SESSION_IDLE_MINUTES", c["WISESYNC_SESSION_IDLE_MINUTES"])
    c["WISESYNC_SESSION_MAX_HOURS"] = _int("WISESYNC_SESSION_MAX_HOURS", c["WISESYNC_SESSION_MAX_HOURS"])
    c["REDIS_URL"] = env.get("REDIS_URL", "")
    if c["REDIS_URL"]:
        c["RATELIMIT_STORAGE_URI"] = c["REDIS_URL"]
        if c["WISESYNC_JOBS"] == "embedded":
            c["WISESYNC_JOBS"] = "redis"
    for key in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER"):
        if env.get(key):
            c[key] = env[key]
    c["MAIL_PORT"] = _int("MAIL_PORT", c["MAIL_PORT"])
    for key in ("WISESYNC_LIMIT_LOGIN", "WISESYNC_LIMIT_VERIFY", "WISESYNC_LIMIT_RESET",
                "WISESYNC_LIMIT_QLINK", "WISESYNC_LIMIT_CONNECTIVITY"):
        c[key] = env.get(key) or c[key]
    c["MAIL_USE_TLS"] = _flag("MAIL_USE_TLS", c["MAIL_USE_TLS"])
    c["WISESYNC_PUBLIC_URL"] = env.get("WISESYNC_PUBLIC_URL") or c["WISESYNC_PUBLIC_URL"]
    c["WISESYNC_TRUSTED_HOSTS"] = [h for h in re.split(r"[\s,]+", env.get("WISESYNC_TRUSTED_HOSTS", "")) if h]
    for key in ("WISESYNC_XERO_CLIENT_ID", "WISESYNC_XERO_CLIENT_SECRET", "WISESYNC_XERO_AUTHORIZE_URL",
                "WISESYNC_XERO_IDENTITY_URL", "WISESYNC_XERO_API_URL", *GOOGLE_SETTINGS):
        c[key] = env.get(key) or c[key]
    c.update(overrides)

    if not c.get("SECRET_KEY"):
        c["SECRET_KEY"] = env.get("SECRET_KEY") or instance_secret(
            app.instance_path, "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not c.get("WISESYNC_SECRETS_KEYS"):
        raw = env.get("WISESYNC_SECRETS_KEYS") or instance_secret(
            app.instance_path, "secrets_keys", lambda: Fernet.generate_key().decode()
        )
        c["WISESYNC_SECRETS_KEYS"] = [k.strip() for k in raw.split(",") if k.strip()]

    c["WISESYNC_PUBLIC_URL"] = parse_public_url(c["WISESYNC_PUBLIC_URL"])
    if c["WISESYNC_PUBLIC_URL"].startswith("https://"):
        c["PREFERRED_URL_SCHEME"] = "https"
    if c["WISESYNC_PROXY_FIX"] >= 1 or c.get("PREFERRED_URL_SCHEME") == "https":
        # Behind TLS the session cookie never travels over plain http, embedding or not.
        c["SESSION_COOKIE_SECURE"] = c["REMEMBER_COOKIE_SECURE"] = True
    if c["WISESYNC_PUBLIC_URL"] and c.get("TRUSTED_HOSTS") is None:
        # Requests for any other Host are refused (400): nothing can be built from a forged one.
        c["TRUSTED_HOSTS"] = [urlsplit(c["WISESYNC_PUBLIC_URL"]).hostname,
                              *c.get("WISESYNC_TRUSTED_HOSTS", [])]

    if c["WISESYNC_EMBED_ORIGINS"]:
        # A third-party frame only keeps a cookie that is SameSite=None; Secure; Partitioned (CHIPS).
        c["SESSION_COOKIE_SAMESITE"] = "None"
        c["SESSION_COOKIE_SECURE"] = True
        c["SESSION_COOKIE_PARTITIONED"] = True
