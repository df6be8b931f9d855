"""The fault suite: real processes, a fault injected, then what the user and the rows show.

Each case: nothing lost, nothing stored twice, the user told what happened. Bounded in time
(every wait has a deadline) and marked slow. The rest of the list lives beside its code:
a worker killed mid-job and the broker down at submit in ``test_worker.py``, PostgreSQL
connections ended under a request in ``tests/gradebook/db/test_health_check.py``.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.exercises.stack import RedisServer, Stack, free_port, stop_process, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path, template_db, tiny_models, redis_server):
    made = Stack(
        tmp_path / "stack", template_db=template_db, models=tiny_models, broker_url=redis_server.url
    )
    yield made
    made.stop_worker()


def _post(url: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def media_files(stack: Stack) -> list[str]:
    return sorted(str(p.relative_to(stack.media)) for p in stack.media.rglob("*") if p.is_file())


def test_the_cache_down_answers_are_still_graded_and_stored_once(stack, tmp_path):
    """Redis (the cache behind the rate limit) stops between two answers: the web process lets
    the answer through instead of a 500, and stores it exactly once."""
    cache = RedisServer(tmp_path)
    cache.start()
    ids = stack.ctl("setup")
    answer = stack.ctl("answer_setup", student=ids["student"])
    port = free_port()
    web = stack.start_web(port, CACHE_URL=cache.url, CACHE_TIMEOUT_S="0.5")
    try:
        url = f"http://127.0.0.1:{port}/api/items/{answer['numeric_item']}/submit/"
        status, body = _post(url, {"response": "4"}, answer["token"])
        assert status == 201 and body["correct"] is True
        cache.stop()
        status, body = _post(url, {"response": "5", "idempotency_key": "k1"}, answer["token"])
        assert status == 201, body
        assert body["correct"] is False  # graded as usual: the student sees the verdict
        # A retry of the same answer (a flaky network) is not stored twice.
        status, _ = _post(url, {"response": "5", "idempotency_key": "k1"}, answer["token"])
        assert status == 200
        interpret = url.replace("/submit/", "/interpret/")
        assert _post(interpret, {"text": "2*2"}, answer["token"])[0] == 200
    finally:
        stop_process(web)
        cache.stop()
    stored = stack.ctl("attempts", item=answer["numeric_item"])["attempts"]
    assert sorted(stored, key=str) == [["4", True], ["5", False]]


def test_a_worker_whose_model_cannot_load_fails_the_job_plainly_and_a_retry_runs(stack, tmp_path):
    ids = stack.ctl("setup")
    stack.start_worker(TEXT_MODEL=str(tmp_path / "no-such-model"))
    [job_id] = stack.ctl("submit", **ids, kinds=["text"])["jobs"]
    failed = stack.wait_job(job_id, "failed", timeout=120)
    assert "could not" in failed["error"].lower() or "model" in failed["error"].lower()
    assert "Traceback" not in failed["error"] and failed["error_detail"]
    assert failed["outputs"] == [] and media_files(stack) == []

    stack.stop_worker()
    stack.start_worker()  # the operator fixed TEXT_MODEL
    assert stack.ctl("retry", job=job_id)["status"] in ("queued", "running")
    done = stack.wait_job(job_id, "succeeded", timeout=120)
    assert [o["kind"] for o in done["outputs"]] == ["text"]


def test_a_full_disk_fails_the_job_leaves_no_partial_file_and_a_retry_runs(stack):
    ids = stack.ctl("setup")
    stack.media.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(stack.media)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {mounted.stderr.strip()}")
    try:
        stack.start_worker()
        submitted = stack.ctl(
            "submit", **ids, kinds=["image"], settings={"image": {"steps": 6, "size": 128}}
        )
        [job_id] = submitted["jobs"]
        failed = stack.wait_job(job_id, "failed", timeout=120)
        assert "ran out of space" in failed["error"]
        assert failed["outputs"] == []
        assert media_files(stack) == []  # neither finished files nor temporary ones
    finally:
        subprocess.run(["umount", "-l", str(stack.media)], check=False)
    assert stack.ctl("retry", job=job_id)["status"] in ("queued", "running")
    done = stack.wait_job(job_id, "succeeded", timeout=120)
    assert len(done["outputs"]) == 6 and len(media_files(stack)) == 6


def test_the_same_task_delivered_twice_runs_once(stack):
    ids = stack.ctl("setup")
    stack.start_worker()
    submitted = stack.ctl("submit", **ids, kinds=["text"])
    [job_id] = submitted["jobs"]
    assert stack.ctl("publish", jobs=[job_id, job_id])["published"] == [job_id, job_id]
    done = stack.wait_job(job_id, "succeeded", timeout=120)
    # Three messages for one job (the submit's and two more): every later one found it done.
    wait_for(
        lambda: (
            sum("run_generation_job" in line and "succeeded" in line for line in stack.log) >= 3
        ),
        timeout=60,
        what="the worker to take all three messages",
    )
    job = stack.job(job_id)
    assert job["attempts"] == 1 and job["status"] == "succeeded"
    assert len(job["outputs"]) == 1 == len(media_files(stack))
    assert (
        Path(stack.media, job["outputs"][0]["file"]).read_bytes()
        == Path(stack.media, done["outputs"][0]["file"]).read_bytes()
    )
