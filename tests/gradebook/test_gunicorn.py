"""gunicorn.conf.py: each web worker starts its grader processes before it takes requests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_web_worker_has_its_grader_processes_before_the_first_request(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADER_POOL_SIZE": "1", "VAR_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "gradebook.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        graders = []
        while time.monotonic() < deadline and len(graders) < 2:
            time.sleep(0.2)
            graders = [p for p in _descendants(server.pid) if "graders._worker" in _cmdline(p)]
        # The zygote and the one worker it forked, with no request ever sent.
        assert len(graders) >= 2, "no grader processes under the gunicorn worker"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail("gunicorn did not stop on SIGTERM")


@pytest.mark.parametrize(("grades_here", "expected"), [(True, 1), (False, 0)])
def test_a_celery_child_starts_grader_processes_only_where_it_grades(grades_here, expected):
    code = (
        "import django; django.setup()\n"
        "from gradebook import celery\n"
        f"celery._grades_here = {grades_here}\n"
        "celery._start_grader_pool()\n"
        "from graders import pool\n"
        "print(len(pool._POOL.worker_pids()) if pool._POOL else 0)\n"
    )
    env = {**os.environ, "GRADER_POOL_SIZE": "1", "DJANGO_SETTINGS_MODULE": "gradebook.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip().splitlines()[-1]) == expected
