"""``manage.py runall``: what ``make run`` starts. The web server, a ``gpu``-queue worker (the
models load in its child), a ``default``-queue worker for the other apps' tasks, and the
periodic sweeper (a loop in this process), all on the embedded defaults unless the
environment says otherwise. Ctrl-C stops them all; if one dies, the rest are stopped too, so
nothing is left half-running.

Each child runs in a process group of its own, and stopping signals the whole group: a Celery
worker's pool children (and anything they started) go too, not only the process runall
started. SIGTERM first; whatever is still alive at the deadline gets SIGKILL, so Ctrl-C
returns within ``STOP_GRACE_S`` plus a moment however busy the machine is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exercises.services import jobs_sweep

#: How long children get to stop after SIGTERM before the rest of their group is killed.
STOP_GRACE_S = 15.0


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)  # the child leads its own group (start_new_session)


def _group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running. Zombies do not count: one whose
    parent died waits for PID 1 to reap it, which in a container may never happen."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop_children(
    children: dict[str, subprocess.Popen], *, grace: float = STOP_GRACE_S, log: Any = None
) -> None:
    """SIGTERM every child's process group, wait up to ``grace`` seconds for the groups to
    empty, then SIGKILL what is left; reap the children. Bounded whatever they do."""
    for child in children.values():
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    pending = dict(children)
    while pending and time.monotonic() < deadline:
        for name, child in list(pending.items()):
            child.poll()
            if child.returncode is not None and not _group_alive(child.pid):
                del pending[name]
        time.sleep(0.1)
    for name, child in pending.items():
        if log is not None:
            log(f"{name} did not stop within {grace:.0f} s: killing its processes")
        _signal_group(child, signal.SIGKILL)
    # SIGKILL is delivered asynchronously: return once the processes are really gone.
    killed_by = time.monotonic() + 5
    while any(_group_alive(c.pid) for c in pending.values()) and time.monotonic() < killed_by:
        time.sleep(0.05)
    for child in children.values():
        # An unkillable process (uninterruptible sleep) is left to the OS: do not hang on it.
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)


def child_commands(host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    celery = [
        python,
        "-m",
        "celery",
        "-A",
        "gradebook",
        "worker",
        "--pool",
        "prefork",
        "-c",
        "1",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
    ]
    return {
        "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "gpu worker": [*celery, "-Q", "gpu", "-n", "gpu@%h"],
        "default worker": [*celery, "-Q", "default", "-n", "default@%h"],
    }


class Command(BaseCommand):
    help = "Run the web server, the generation worker, a default worker and the job sweeper."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        # The children have process groups of their own, so the terminal's Ctrl-C reaches
        # only this process: it stops them (every process in each group) itself.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            for name, command in child_commands(host, port).items():
                self.stdout.write(f"starting {name}: {' '.join(command)}")
                children[name] = subprocess.Popen(
                    command, cwd=settings.BASE_DIR, env=env, start_new_session=True
                )
            self.stdout.write(
                self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops everything)")
            )
            next_sweep = time.monotonic()
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        raise CommandError(
                            f"{name} exited with status {child.returncode}; stopping the others"
                        )
                if time.monotonic() >= next_sweep:
                    try:
                        jobs_sweep()
                    except Exception as exc:  # the database may be busy: try next time
                        self.stderr.write(f"sweep failed: {exc}")
                    next_sweep = time.monotonic() + settings.GENERATION_SWEEP_INTERVAL_S
                time.sleep(0.5)
            self.stdout.write("stopping…")
        except KeyboardInterrupt:
            self.stdout.write("stopping…")
        finally:
            # A second Ctrl-C while stopping must not leave children behind half-stopped.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            stop_children(children, log=self.stderr.write)
