"""runall's stop: every process of every child, within a bounded time, whatever they do.

The children here are stubborn stand-ins (real processes): one ignores SIGTERM, one has a
grandchild that ignores it and would outlive its parent. A Celery worker under load behaves
like both: its pool child is busy, and stopping only the parent leaves it running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from exercises.management.commands.runall import stop_children

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
PARENT_OF_STUBBORN = (
    "import subprocess, sys, time; "
    f"subprocess.Popen([sys.executable, '-c', {STUBBORN!r}]); time.sleep(600)"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(entry))
    return pids


def _ignores_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIG_IGN for SIGTERM yet (it starts without)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            mask = next(line for line in handle if line.startswith("SigIgn:"))
    except (OSError, StopIteration):
        return False
    return bool(int(mask.split()[1], 16) & (1 << (15 - 1)))


def test_stubborn_children_and_grandchildren_are_killed_after_the_grace():
    children = {
        "deaf": subprocess.Popen([sys.executable, "-c", STUBBORN], start_new_session=True),
        "parent": subprocess.Popen(
            [sys.executable, "-c", PARENT_OF_STUBBORN], start_new_session=True
        ),
    }
    deadline = time.monotonic() + 60
    members: list[int] = []
    while time.monotonic() < deadline:
        members = _group(children["deaf"].pid) + _group(children["parent"].pid)
        stubborn = [pid for pid in members if _ignores_sigterm(pid)]
        if len(members) == 3 and len(stubborn) == 2:
            break
        time.sleep(0.05)
    assert len(members) == 3
    logged: list[str] = []

    started = time.monotonic()
    stop_children(children, grace=1.0, log=logged.append)
    took = time.monotonic() - started

    assert took < 10
    assert not [pid for pid in members if _alive(pid)]
    assert sorted(line.split()[0] for line in logged) == ["deaf", "parent"]


def test_children_that_stop_at_sigterm_are_not_waited_for():
    children = {
        "polite": subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                   start_new_session=True),
    }  # fmt: skip
    started = time.monotonic()
    stop_children(children, grace=30.0)
    assert time.monotonic() - started < 5
    assert children["polite"].returncode is not None
