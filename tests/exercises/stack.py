"""A throwaway deployment for tests with real worker processes.

It has its own SQLite file (copied from one migrated template per session), media folder,
broker (a private ``redis-server`` on a free port, or the embedded filesystem transport) and
``celery -A gradebook worker -Q gpu --pool prefork -c 1``. Tests read job rows straight from
the SQLite file, which is fast enough to catch a job mid-run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Any, *, timeout: float, interval: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


class RedisServer:
    """A private redis-server (never the shared one): tests stop and restart it at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, what="redis-server to answer")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/2"


class Stack:
    def __init__(
        self, root: Path, *, template_db: Path, models: dict[str, Path], broker_url: str
    ) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.db = root / "db.sqlite3"
        shutil.copy(template_db, self.db)
        self.media = root / "media"
        self.env = stack_env(root, self.db, models, broker_url)
        self.worker: subprocess.Popen | None = None
        self.log: list[str] = []

    def ctl(self, action: str, **args: Any) -> dict:
        done = subprocess.run(
            [PYTHON, "-m", "tests.exercises.stackctl", action, json.dumps(args)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(f"stackctl {action} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_worker(self, **env: str) -> None:
        """The gpu worker; ``env`` overrides the stack's environment (a broken model path)."""
        self.log = []
        self.worker = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "gradebook",
                "worker",
                "-Q",
                "gpu",
                "--pool",
                "prefork",
                "-c",
                "1",
                "-n",
                f"gen-{uuid.uuid4().hex[:8]}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read_log, args=(self.worker,), daemon=True).start()
        wait_for(
            lambda: any("ready." in line for line in self.log),
            timeout=120,
            interval=0.1,
            what="the worker to be ready",
        )

    def start_runall(self, port: int) -> None:
        """``manage.py runall`` (what ``make run`` starts): web, workers and the sweeper."""
        self.log = []
        self.worker = subprocess.Popen(
            [PYTHON, "manage.py", "runall", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read_log, args=(self.worker,), daemon=True).start()
        wait_for(
            lambda: any("generation models in worker child" in line for line in self.log),
            timeout=180,
            interval=0.1,
            what="runall's gpu worker to load its models",
        )

    def start_web(self, port: int, **env: str) -> subprocess.Popen:
        """The web process alone (Django's server, no reloader) on ``port``; the caller stops
        it with :func:`stop_process`."""
        web = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(answers, timeout=120, interval=0.2, what="the web server to listen")
        return web

    def _read_log(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.log.append(line)

    def stop_worker(self) -> None:
        """Kill the worker's whole process group (it was started in its own session): a
        throwaway worker holds nothing a warm shutdown would save, and waiting costs time."""
        if self.worker is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        self.worker = None

    def job(self, job_id: int) -> dict:
        with sqlite3.connect(self.db, timeout=20) as db:
            db.row_factory = sqlite3.Row
            row = db.execute(
                "select * from exercises_generationjob where id = ?", (job_id,)
            ).fetchone()
            outputs = db.execute(
                "select kind, step, file from exercises_generationoutput where job_id = ?",
                (job_id,),
            ).fetchall()
        job = dict(row)
        job["outputs"] = [dict(o) for o in outputs]
        return job

    def wait_job(self, job_id: int, status: str, *, timeout: float = 90) -> dict:
        return wait_for(
            lambda: (job := self.job(job_id))["status"] == status and job,
            timeout=timeout,
            interval=0.1,
            what=f"job {job_id} to be {status} (log tail: {''.join(self.log[-15:])})",
        )


def stop_process(process: subprocess.Popen) -> None:
    """Kill a process started in its own session, with everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stack_env(root: Path, db: Path, models: dict[str, Path], broker_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "REDIS_URL"}
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "gradebook.settings",
            "DATABASE_URL": f"sqlite:///{db}",
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": "locmem://",
            "VAR_DIR": str(root / "var"),
            "BROKER_DIR": str(root / "broker"),
            "MEDIA_ROOT": str(root / "media"),
            "TEXT_MODEL": str(models["text"]),
            "IMAGE_MODEL": str(models["image"]),
            "GENERATION_HEARTBEAT_S": "0.5",
            "GENERATION_STALE_AFTER_S": "5",
            "GENERATION_REQUEUE_AFTER_S": "1",
            "HF_HUB_OFFLINE": "1",
            # Five test suites share this host's CPUs: one torch thread per child is fastest here.
            "GENERATION_TORCH_THREADS": "1",
        }
    )
    return env


def migrated_template(path: Path) -> Path:
    """One migrated SQLite file per session; each stack starts from a copy of it."""
    db = path / "template.sqlite3"
    env = stack_env(path, db, {"text": path, "image": path}, "filesystem://")
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return db
