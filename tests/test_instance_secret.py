"""Secrets generated in the instance folder on first start: processes starting together (the web
process and the simulator of ``scripts/serve --demo``, gunicorn workers) all end up with one
key, and none crashes because another created the file first."""
from __future__ import annotations

import os
import stat
import threading

from wisesync.config import instance_secret


def test_a_second_process_that_loses_the_race_uses_the_winners_secret(tmp_path):
    def make_while_another_process_writes():
        (tmp_path / "secret_key").write_text("theirs\n")  # the other process won meanwhile
        return "ours"

    assert instance_secret(str(tmp_path), "secret_key", make_while_another_process_writes) == "theirs"
    assert (tmp_path / "secret_key").read_text() == "theirs\n"
    assert os.listdir(tmp_path) == ["secret_key"]  # no temporary file left behind


def test_the_first_start_writes_a_private_file_and_later_starts_read_it(tmp_path):
    assert instance_secret(str(tmp_path), "secret_key", lambda: "first") == "first"
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert instance_secret(str(tmp_path), "secret_key", lambda: "second") == "first"


def test_many_starts_at_once_agree_on_one_secret(tmp_path):
    barrier, seen = threading.Barrier(8), []

    def start(n):
        def make():
            barrier.wait()  # every thread has checked the file is missing before any writes
            return f"key-{n}"
        seen.append(instance_secret(str(tmp_path), "secret_key", make))

    threads = [threading.Thread(target=start, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(seen) == 8 and len(set(seen)) == 1
    assert (tmp_path / "secret_key").read_text().strip() == seen[0]
