"""A real Celery worker on the default queue computes a regrade preview, and after the apply
commits, brings XP up to date. Own SQLite file and embedded filesystem broker (no server)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import threading
import uuid

import pytest

from tests.exercises.stack import PYTHON, ROOT, migrated_template, stack_env, wait_for

pytestmark = [pytest.mark.slow]


def ctl(env: dict, *args: str) -> dict:
    done = subprocess.run(
        [PYTHON, "-m", "tests.gradebook.grades.workerctl", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(db, sql: str, *params) -> tuple:
    with sqlite3.connect(db, timeout=20) as conn:
        return conn.execute(sql, params).fetchone()


def test_a_worker_on_the_default_queue_previews_then_xp_follows_the_apply(tmp_path):
    db = migrated_template(tmp_path)
    env = stack_env(tmp_path, db, {"text": tmp_path, "image": tmp_path}, "filesystem://")
    run_id = ctl(env, "seed")["run"]
    assert row(db, "select status from grades_regraderun where id = ?", run_id) == ("queued",)

    log: list[str] = []
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "gradebook", "worker", "-Q", "default", "--pool",
         "prefork", "-c", "1", "-n", f"grades-{uuid.uuid4().hex[:8]}@%h", "-l", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    threading.Thread(target=lambda: log.extend(worker.stdout), daemon=True).start()
    try:
        wait_for(
            lambda: (
                row(db, "select status from grades_regraderun where id = ?", run_id)
                == ("previewed",)
            ),
            timeout=120,
            interval=0.1,
            what=f"the preview (worker log: {''.join(log[-15:])})",
        )
        assert row(db, "select count(*) from grades_regradechange where run_id = ?", run_id) == (2,)
        assert ctl(env, "apply", str(run_id)) == {"status": "applied", "applied": 2}
        wait_for(
            lambda: row(
                db, "select progress_synced_at from grades_regraderun where id = ?", run_id
            )[0],
            timeout=120,
            interval=0.1,
            what=f"XP to catch up (worker log: {''.join(log[-15:])})",
        )
        scores = dict(
            sqlite3.connect(db).execute(
                "select u.username, a.score from quizzes_attempt a "
                "join auth_user u on u.id = a.student_id"
            )
        )
        assert scores == {"alice": 1.0, "bob": 0.0}
        xp = row(
            db,
            "select sum(x.xp) from progress_xpaward x join auth_user u on u.id = x.student_id "
            "where u.username = 'alice'",
        )
        assert xp[0] > 0  # her answer counts now, and XP followed without a teacher's click
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
