"""The grader pool: the hard backstop behind every answer that needs sympy."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graders import grade
from graders.pool import GraderPool, get_pool

ROOT = Path(__file__).resolve().parents[2]
FACTORED = {
    "id": "p-fac",
    "type": "symbolic",
    "text": "Factor x^2+3x+2",
    "answer": "(x+1)*(x+2)",
    "variables": ["x"],
    "form": "factored",
}
EXPENSIVE = {
    "id": "p-exp",
    "type": "symbolic",
    "text": "Expand",
    "answer": "(x+y+z+1)^40",
    "variables": ["x", "y", "z"],
    "form": "expanded",
}


def request(spec, response):
    return {"op": "grade", "spec": spec, "response": response, "params": {}}


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): read its state. It may be reaped between the two calls,
    # and reading /proc of a process reaped mid-read raises ProcessLookupError, not ENOENT.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def gone(pids, within=5.0):
    """Whether every pid has exited within ``within`` seconds (a kill is asynchronous)."""
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_form_rules_that_need_sympy_are_graded_in_the_pool(warm_pool):
    assert grade(FACTORED, "(x+1)(x+2)").outcome == "correct"
    r = grade(FACTORED, "x^2+3x+2")
    assert r.outcome == "incorrect" and r.misconception == "wrong-form"
    assert "factor" in r.feedback


def test_workers_run_with_a_memory_limit(warm_pool):
    pid = warm_pool.worker_pids()[0]
    limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(ln for ln in limits.splitlines() if ln.startswith("Max address space"))
    assert line.split()[3] == str(1024 * 1024 * 1024)


@pytest.mark.slow
def test_an_overrunning_worker_is_killed_and_replaced(monkeypatch):
    monkeypatch.setenv("GRADER_POOL_SIZE", "1")
    pool = GraderPool()
    try:
        pool.warm_up()
        (first,) = pool.worker_pids()
        t0 = time.perf_counter()
        assert pool.run(request(EXPENSIVE, "(x+y+z+1)^40"), budget=0.3) is None
        assert time.perf_counter() - t0 < 1.0
        assert pool.killed == 1 and gone([first])
        reply = pool.run(request(FACTORED, "(x+1)(x+2)"), budget=5)
        assert reply["result"]["outcome"] == "correct"
        assert pool.worker_pids() != [first]
    finally:
        pool.shutdown()


def test_the_pool_never_starts_more_workers_than_its_size(monkeypatch):
    monkeypatch.setenv("GRADER_POOL_SIZE", "1")
    pool = GraderPool()
    try:
        replies = []

        def work():
            # A generous budget: four answers queue behind one cold worker, which on a loaded
            # machine can take longer than 5 s to import sympy; this test is about the count.
            replies.append(pool.run(request(FACTORED, "x^2+3x+2"), budget=60))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r["result"]["outcome"] for r in replies] == ["incorrect"] * 4
        assert len(pool.worker_pids()) == 1
        pids = pool.process_pids()
    finally:
        pool.shutdown()
    assert gone(pids), "shutdown leaves no worker behind"


def test_a_forked_child_gets_its_own_pool_and_leaves_the_parents_alone(warm_pool):
    parent_pids = warm_pool.worker_pids()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as in a gunicorn worker or a Celery prefork child
        try:
            os.close(read_end)
            pool = get_pool()
            r = grade(FACTORED, "(x+1)(x+2)")
            out = {"outcome": r.outcome, "pids": pool.worker_pids(), "same": pool is warm_pool}
            os.write(write_end, json.dumps(out).encode())
            pool.shutdown()
        finally:
            os._exit(0)
    os.close(write_end)
    data = json.loads(os.read(read_end, 65536))
    os.close(read_end)
    os.waitpid(pid, 0)
    assert data["outcome"] == "correct"
    assert data["same"] is False
    assert not set(data["pids"]) & set(parent_pids)
    assert warm_pool.worker_pids() == parent_pids
    assert all(alive(p) for p in parent_pids)
    assert grade(FACTORED, "(x+1)(x+2)").outcome == "correct"


@pytest.mark.slow
def test_workers_exit_when_their_parent_is_killed():
    code = (
        "import json, sys, time\n"
        "from graders.pool import get_pool\n"
        "p = get_pool(); p.warm_up()\n"
        "print(json.dumps(p.process_pids()), flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADER_POOL_SIZE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env
    )
    pids = json.loads(proc.stdout.readline())
    assert pids and all(alive(p) for p in pids)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert gone(pids, within=10)


def test_settings_are_read_at_call_time_and_can_be_configured_from_code(monkeypatch):
    from graders import pool

    monkeypatch.setenv("GRADER_TIME_BUDGET_S", "0.25")
    monkeypatch.setenv("GRADER_POOL_SIZE", "3")
    assert (pool.time_budget(), pool.pool_size()) == (0.25, 3)
    try:
        pool.configure(time_budget_s=2.0, pool_size=1)
        assert (pool.time_budget(), pool.pool_size()) == (2.0, 1)
    finally:
        pool.configure()
    assert pool.time_budget() == 0.25
    monkeypatch.setenv("GRADER_TIME_BUDGET_S", "soon")
    with pytest.raises(ValueError, match="GRADER_TIME_BUDGET_S='soon'"):
        pool.time_budget()
    with pytest.raises(ValueError, match="pool_size"):
        pool.configure(pool_size=0)


@pytest.mark.slow
def test_workers_are_stopped_when_the_process_exits_normally():
    code = (
        "import json\n"
        "from graders import grade\n"
        "from graders.pool import get_pool\n"
        f"spec = {FACTORED!r}\n"
        "assert grade(spec, '(x+1)(x+2)').outcome == 'correct'\n"
        "print(json.dumps(get_pool().process_pids()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADER_POOL_SIZE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    pids = json.loads(out.stdout)
    assert len(pids) == 2  # the worker and the zygote
    assert gone(pids)


@pytest.mark.slow
def test_a_dead_zygote_and_a_dead_worker_are_replaced(monkeypatch):
    monkeypatch.setenv("GRADER_POOL_SIZE", "1")
    pool = GraderPool()
    try:
        pool.warm_up()
        (worker,) = pool.worker_pids()
        zygote = next(p for p in pool.process_pids() if p != worker)
        os.kill(zygote, signal.SIGKILL)
        os.kill(worker, signal.SIGKILL)
        assert gone([worker, zygote])
        reply = pool.run(request(FACTORED, "(x+1)(x+2)"), budget=30)
        assert reply["result"]["outcome"] == "correct"
        assert not set(pool.process_pids()) & {worker, zygote}
    finally:
        pool.shutdown()
