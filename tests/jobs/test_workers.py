"""Real queues with a real Huey consumer in background threads: the embedded SQLite queue
(what scripts/serve runs) and Redis (several workers)."""
from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy import func, select

from tests.builders import make_account, make_admin
from tests.integrations.helpers import save_cw_settings
from tests.jobs.helpers import running_consumer, wait_for_json
from wisesync.extensions import db
from wisesync.psadata.runs import SyncRun
from wisesync.psadata.models import PsaProduct

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def admin(app, login, psa_sim):
    account = make_account()
    save_cw_settings(account, psa_sim)
    user = make_admin(account)
    login(user)
    return user


def start(client) -> str:
    response = client.post("/integrations/sync")
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize("app_config", [{"WISESYNC_JOBS": "embedded"}])
def test_embedded_sqlite_queue_runs_a_pull_in_the_worker_not_the_request(app, client, admin, sim_faults):
    from wisesync.jobs.queue import jobs

    assert type(jobs(app).huey).__name__ == "SqliteHuey"
    with running_consumer(app):
        url = start(client)
        data = wait_for_json(client, url)
    assert data["status"] == "succeeded", data
    assert data["counts"] == {"customers": 200, "agreements": 200, "products": 200, "locations": 3}
    assert db.session.scalar(select(func.count()).select_from(PsaProduct)) == 200


@pytest.mark.parametrize("app_config", [{"WISESYNC_JOBS": "embedded"}])
def test_a_pull_queued_while_the_worker_is_down_runs_when_it_starts(app, client, admin, sim_faults):
    url = start(client)  # no worker: the run waits in the SQLite queue
    assert client.get(url, headers={"Accept": "application/json"}).get_json()["status"] == "queued"
    with running_consumer(app):  # prepare_worker runs first, as `flask jobs-worker` does
        data = wait_for_json(client, url)
    assert data["status"] == "succeeded", data  # run once: the repeated message was a no-op
    assert db.session.scalar(select(func.count()).select_from(PsaProduct)) == 200
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1


@pytest.mark.parametrize("app_config", [{"WISESYNC_JOBS": "embedded"}])
def test_a_pull_left_running_by_a_killed_worker_is_failed_on_restart(app, client, admin, sim_faults):
    run = SyncRun(account_id=admin.account_id, psa_type="connectwise", status="running")
    db.session.add(run)
    db.session.commit()
    url = f"/integrations/sync/{run.id}"
    with running_consumer(app):
        time.sleep(0.5)
        data = wait_for_json(client, url)
    assert data["status"] == "failed"
    assert data["message"] == "The worker stopped during the pull; start it again."
    assert db.session.scalar(select(func.count()).select_from(PsaProduct)) == 0


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_server():
    if not _redis_up():
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
                        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
                        "--logfile", "/var/log/redis/ci.log"], check=False, capture_output=True)
        for _ in range(20):
            if _redis_up():
                break
            time.sleep(0.25)
    if not _redis_up():
        pytest.skip("!!! REDIS IS NOT RUNNING on 127.0.0.1:6379 and could not be started: the Redis job "
                    "queue was NOT tested !!!")
    return REDIS_URL


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"WISESYNC_JOBS": "redis", "REDIS_URL": REDIS_URL}])
def test_redis_queue_runs_a_pull_with_two_worker_threads(redis_server, app, client, admin, sim_faults):
    from wisesync.jobs.queue import jobs

    huey = jobs(app).huey
    assert type(huey).__name__ == "RedisHuey"
    huey.flush()
    with running_consumer(app, workers=2):
        url = start(client)
        data = wait_for_json(client, url)
    assert data["status"] == "succeeded", data
    assert db.session.scalar(select(func.count()).select_from(SyncRun)) == 1


@pytest.mark.redis
@pytest.mark.parametrize("app_config", [{"WISESYNC_JOBS": "redis", "REDIS_URL": REDIS_URL}])
def test_a_redis_worker_starting_leaves_other_workers_fresh_runs_alone(redis_server, app):
    from wisesync.jobs.worker import prepare_worker

    account = make_account()
    db.session.add(SyncRun(account_id=account.id, psa_type="connectwise", status="running"))
    db.session.commit()
    assert prepare_worker(app) == 0
