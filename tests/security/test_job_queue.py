"""Finding 6 (lower): the job queue reads JSON, so writing to Redis cannot run code in a worker.

Huey's default serializer is pickle: a process that could write a crafted message into Redis
(or the SQLite queue file) had the worker unpickle it, which runs whatever it names.
"""
from __future__ import annotations

import os
import pickle
from datetime import datetime, timedelta

import pytest
from huey import RedisHuey, SqliteHuey

from wisesync.jobs.serializer import JsonSerializer

REDIS_URL = "redis://127.0.0.1:6379/13"
PWNED = "/tmp/wisesync-pwned-by-pickle"


class Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {PWNED}",))


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(params=["sqlite", "redis"])
def huey(request, tmp_path):
    if request.param == "redis":
        if not _redis_up():
            pytest.skip("no Redis on 127.0.0.1:6379")
        queue = RedisHuey("wisesync-sec-test", url=REDIS_URL, results=False, serializer=JsonSerializer())
    else:
        queue = SqliteHuey("wisesync-sec-test", filename=str(tmp_path / "q.sqlite3"), results=False,
                           serializer=JsonSerializer())
    queue.flush()
    yield queue
    queue.flush()


def test_a_pickled_payload_written_into_the_queue_is_never_unpickled(huey):
    if os.path.exists(PWNED):
        os.unlink(PWNED)
    huey.storage.enqueue(pickle.dumps(Exploit()))
    with pytest.raises(ValueError):  # not JSON: refused, not executed
        huey.dequeue()
    assert not os.path.exists(PWNED)


def test_ids_round_trip_through_the_queue(huey):
    @huey.task(name="sec.echo")
    def echo(run_id, *, note=None):
        return run_id, note

    echo.schedule(args=(42,), kwargs={"note": "x"}, eta=datetime(2030, 1, 2, 3, 4, 5))
    task = huey.dequeue()
    assert task.args == (42,) and task.kwargs == {"note": "x"}
    assert task.eta == datetime(2030, 1, 2, 3, 4, 5)


def test_objects_cannot_be_enqueued():
    serializer = JsonSerializer()
    with pytest.raises(TypeError, match="plain values"):
        serializer.serialize({"user": object()})
    assert serializer.deserialize(serializer.serialize((1, timedelta(seconds=5), None))) == \
        (1, timedelta(seconds=5), None)


@pytest.mark.parametrize("mode,extra", [("embedded", {}), ("immediate", {}),
                                        ("redis", {"REDIS_URL": REDIS_URL})])
def test_every_queue_the_app_builds_uses_json(app, mode, extra):
    from wisesync.jobs.queue import make_huey

    app.config.update(WISESYNC_JOBS=mode, **extra)
    assert isinstance(make_huey(app).serializer, JsonSerializer)
