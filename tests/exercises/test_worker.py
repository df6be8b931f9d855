"""Real worker processes: ``celery -A gradebook worker -Q gpu --pool prefork -c 1``.

Each test runs a throwaway stack (``tests/exercises/stack.py``): its own SQLite file, media
folder and broker, a private redis-server for the Redis cases, so stopping Redis here never
touches the shared one.
"""

from __future__ import annotations

import os
import signal
import urllib.request

import pytest

from tests.exercises.stack import Stack, alive, descendants, free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def make_stack(tmp_path, template_db, tiny_models):
    stacks = []

    def make(broker_url: str) -> Stack:
        stack = Stack(
            tmp_path / f"stack{len(stacks)}",
            template_db=template_db,
            models=tiny_models,
            broker_url=broker_url,
        )
        stack.root.mkdir(parents=True, exist_ok=True)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop_worker()


def media_files(stack: Stack) -> list[str]:
    return sorted(str(p.relative_to(stack.media)) for p in stack.media.rglob("*") if p.is_file())


def test_a_worker_killed_mid_job_runs_it_again_and_stores_one_output(make_stack, redis_server):
    stack = make_stack(redis_server.url)
    ids = stack.ctl("setup")
    stack.start_worker()
    submitted = stack.ctl(
        "submit", **ids, kinds=["image"], settings={"image": {"steps": 24, "size": 64}}
    )
    [job_id] = submitted["jobs"]
    running = wait_for(
        lambda: (job := stack.job(job_id))["progress_step"] >= 1 and job,
        timeout=90,
        interval=0.02,
        what="the job to be mid-run",
    )
    assert running["status"] == "running" and running["attempts"] == 1
    child_pid = int(running["worker"].rpartition(":")[2])
    os.kill(child_pid, signal.SIGKILL)

    done = stack.wait_job(job_id, "succeeded", timeout=180)
    assert done["attempts"] == 2
    assert [o["kind"] for o in done["outputs"]].count("image") == 1
    assert len(done["outputs"]) == 6  # the image and five filmstrip frames, once each
    files = media_files(stack)
    assert len(files) == 6 and all("/attempt-2/" in f for f in files)


def test_a_job_submitted_while_redis_is_down_runs_once_redis_is_back(make_stack, redis_server):
    stack = make_stack(redis_server.url)
    ids = stack.ctl("setup")
    stack.start_worker()
    redis_server.stop()
    submitted = stack.ctl("submit", **ids, kinds=["text"])
    [job_id] = submitted["jobs"]
    assert submitted["published"] == []
    assert stack.job(job_id)["status"] == "queued"

    redis_server.start()
    assert stack.ctl("sweep")["published"] == [job_id]
    done = stack.wait_job(job_id, "succeeded", timeout=120)
    assert done["attempts"] == 1 and len(done["outputs"]) == 1

    # And a Redis restart while the worker idles does not leave it deaf: the next job,
    # published normally (no sweeper), runs.
    redis_server.stop()
    redis_server.start()
    again = stack.ctl("submit", **ids, kinds=["text"])
    assert again["published"] == again["jobs"]
    assert len(stack.wait_job(again["jobs"][0], "succeeded", timeout=120)["outputs"]) == 1


@pytest.mark.embedded
def test_runall_serves_runs_a_submission_on_the_embedded_broker_and_stops_on_ctrl_c(make_stack):
    stack = make_stack("filesystem://")
    ids = stack.ctl("setup")
    port = free_port()
    stack.start_runall(port)
    submitted = stack.ctl("submit", **ids)
    text_job, image_job = submitted["jobs"]
    assert stack.wait_job(text_job, "succeeded")["outputs"][0]["kind"] == "text"
    image = stack.wait_job(image_job, "succeeded")
    assert sorted({o["kind"] for o in image["outputs"]}) == ["frame", "image"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=30) as page:
        assert page.status == 200

    processes = descendants(stack.worker.pid)
    assert len(processes) >= 4  # web, two worker parents and at least the gpu child
    os.kill(stack.worker.pid, signal.SIGINT)  # what Ctrl-C sends
    stack.worker.wait(timeout=60)
    wait_for(
        lambda: not any(alive(pid) for pid in processes),
        timeout=30,
        what="every child of runall to stop",
    )
