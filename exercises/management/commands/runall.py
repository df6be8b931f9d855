"""``manage.py runall``: what ``make run`` starts. The web server, a ``gpu``-queue worker (the
models load in its child), a ``default``-queue worker for the other apps' tasks, and the
periodic sweepers of generation jobs and of LTI grades (a loop in this process), all on the
embedded defaults unless the environment says otherwise. Ctrl-C stops them all; if one dies,
the rest are stopped too, so nothing is left half-running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exercises.services import jobs_sweep
from gradebook.lti.scores import scores_sweep


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

        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in child_commands(host, port).items():
                self.stdout.write(f"starting {name}: {' '.join(command)}")
                children[name] = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
            self.stdout.write(
                self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops everything)")
            )
            next_sweep = next_lti_sweep = time.monotonic()
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
                if time.monotonic() >= next_lti_sweep:
                    try:
                        scores_sweep()  # LTI grades the fast path missed (docs/lti.md)
                    except Exception as exc:
                        self.stderr.write(f"LTI sweep failed: {exc}")
                    next_lti_sweep = time.monotonic() + settings.LTI_SWEEP_INTERVAL_S
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("stopping…")
        finally:
            self._stop(children)

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, child in children.items():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time: killing it")
                child.kill()
                child.wait()
