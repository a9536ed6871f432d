"""Throttles: a few requests pass, the next one gets the human 429 page with Retry-After."""
from __future__ import annotations

import pytest

from tests.builders import DEFAULT_PASSWORD, make_account, make_admin, make_user

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "WISESYNC_LIMIT_LOGIN": "3 per minute",
    "WISESYNC_LIMIT_VERIFY": "3 per minute",
    "WISESYNC_LIMIT_RESET": "2 per minute",
    "WISESYNC_LIMIT_QLINK": "2 per minute",
    "WISESYNC_LIMIT_CONNECTIVITY": "2 per minute",
}


@pytest.fixture
def app_config(mail_config):
    return {**mail_config, **LIMITS}


def _assert_throttled(response):
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Try again in" in body and "seconds" in body
    assert int(response.headers["Retry-After"]) > 0


def test_login_posts_are_throttled_per_ip(client):
    user = make_admin(make_account())
    for _ in range(3):
        client.post("/login", data={"username": user.username, "password": "wrong-pass"})
    _assert_throttled(client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD}))
    assert client.get("/login").status_code == 200  # the page itself stays reachable
    other_ip = client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_ip.status_code == 302


def test_successful_logins_and_good_qlinks_never_use_up_the_limit(client):
    """An office behind one IP logs in all day; only refused attempts count."""
    account = make_account()
    make_admin(account)
    user = make_user(account)
    for _ in range(6):  # twice the limit of 3
        response = client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302
        client.post("/logout")


def test_reset_requests_are_throttled(client, mailbox):
    for _ in range(2):
        assert client.post("/reset-password", data={"email": "x@example.com"}).status_code == 200
    _assert_throttled(client.post("/reset-password", data={"email": "x@example.com"}))


def test_code_step_is_throttled(client, mailbox):
    user = make_user(make_account(two_factor="required"))
    client.post("/login", data={"username": user.username, "password": DEFAULT_PASSWORD})
    for _ in range(3):
        client.post("/login/verify", data={"code": "000000"})
    _assert_throttled(client.post("/login/verify", data={"code": "000000"}))


def test_qlinks_are_throttled(client):
    for _ in range(2):
        client.get("/q/qlk_not-a-real-token")
    _assert_throttled(client.get("/q/qlk_not-a-real-token"))
    for _ in range(2):
        assert client.get("/a/anything").status_code != 429  # its own counter
    _assert_throttled(client.get("/a/anything"))


def test_connectivity_tests_are_throttled_per_user(client, login):
    account = make_account()
    admin = make_admin(account)
    login(admin)
    endpoint = next((r for r in client.application.url_map.iter_rules()
                     if r.rule.endswith("/test") and r.rule.startswith("/users/<int:user_id>/")), None)
    if endpoint is None:
        pytest.skip("no connectivity test route installed")
    url = endpoint.rule.replace("<int:user_id>", str(admin.id))
    for _ in range(2):
        assert client.post(url).status_code != 429
    _assert_throttled(client.post(url))


def test_429_page_in_json(client):
    for _ in range(2):
        client.post("/reset-password", data={"email": "x@example.com"})
    response = client.post("/reset-password", data={"email": "x@example.com"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 429 and response.get_json()["retry_after"] > 0


def test_every_limited_endpoint_exists_and_covers_qlinks_and_tests(app):
    from wisesync.security.limits import limited_endpoints

    found = limited_endpoints(app)
    assert {"auth.login", "security.verify", "security.reset_request"} <= set(found)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/q/", "/a/")) or (rule.rule.endswith("/test") and "POST" in rule.methods):
            assert rule.endpoint in found, rule.rule


def _worker(tmp_path, n, storage):
    from tests.conftest import SECRETS_KEY
    from wisesync.app import create_app

    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "k", "WISESYNC_SECRETS_KEYS": [SECRETS_KEY],
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w{n}.db",
                      "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": storage, **LIMITS})
    with app.app_context():
        upgrade()
    return app


@pytest.mark.sqlite_only
@pytest.mark.parametrize("storage,shared", [("redis://127.0.0.1:6379/15", True), ("memory://", False)])
def test_limits_are_shared_between_workers_only_through_redis(tmp_path, storage, shared):
    """A second app built later (another worker) sees the first one's hits only with Redis."""
    import redis

    if storage.startswith("redis"):
        try:
            redis.Redis.from_url(storage).flushdb()
        except redis.RedisError:
            pytest.skip("SKIPPED LOUDLY: no Redis on 127.0.0.1:6379")
    with _worker(tmp_path, 1, storage).test_client() as first:
        for _ in range(2):
            first.get("/q/qlk_nothing")
    # Building the second app re-binds the limiter to fresh storage, as a new process would.
    with _worker(tmp_path, 2, storage).test_client() as second:
        assert (second.get("/q/qlk_nothing").status_code == 429) is shared
