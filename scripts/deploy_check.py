"""A multi-worker deployment on one machine, checked end to end (figures for docs/benchmarks.md).

What it deploys, all on 127.0.0.1: PostgreSQL (its own database, created and dropped), its own
``redis-server`` on a free port (never 6379; or ``--redis-url``), gunicorn with several sync
workers, two ``gpu``-queue Celery workers, one ``default``-queue worker, ``celery beat`` (the
sweeper), and one media folder all of them share. The models are whatever
``manage.py prepare_models`` installs (``TEXT_MODEL`` / ``IMAGE_MODEL`` from the environment
win, as in any deployment).

What it checks:

1. Throughput: 20 students each submit one exercise through the HTTP API (a text and an image
   job each: 40 jobs) with one gpu worker, then the same with two; jobs per minute for both and
   the ratio (``--rounds`` alternates them).
2. Exactly once: every job succeeded, was claimed once (``attempts == 1``), ran on one of the
   gpu workers, and has its outputs recorded once and on disk in the shared folder, under its
   first attempt only.
3. A worker lost mid-job: a long text job starts on one gpu worker, which is killed (SIGKILL,
   parent and child: the machine died); the sweeper re-queues the job once its heartbeat is
   stale, and the job must complete on the other worker.

    .venv/bin/python scripts/deploy_check.py
    .venv/bin/python scripts/deploy_check.py --rounds 2 --tokens 24 --markdown

Every wait has a deadline (``--timeout`` seconds each); the script exits 1 naming what failed
and leaves the logs of every process under the folder it prints.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(sys.executable).parent

EXERCISE = {
    "id": "deploy-check",
    "type": "exercise",
    "title": "One prompt, two models",
    "text": "Send one prompt to the text model and the image model.",
    "models": ["text", "image"],
    "prompt": {"max_chars": 500},
    "reflection": {"max_chars": 200},
    "settings": {
        "text": {"max_new_tokens": {"default": 24, "max": 512}},
        "image": {"steps": {"default": 10, "max": 50}},
    },
}

SEED = r"""
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from gradebook.courses.models import Course, Item, Lesson
spec = json.loads(SPEC)
course = Course.objects.create(slug="deploy-check", title="Deploy check")
lesson = Lesson.objects.create(course=course, slug="two-models", title="Two models")
item = Item(course=course, lesson=lesson, key=spec["id"], type="exercise", text=spec["text"])
item.set_spec(spec)
tokens = []
for i in range(N):
    user = get_user_model().objects.create_user(f"student{i:02d}", password=None)
    course.enroll(user)
    tokens.append(Token.objects.create(user=user).key)
print(json.dumps({"item": item.pk, "tokens": tokens}))
"""

PROMPTS = [
    "Describe a red apple on a wooden table.",
    "Explain in one sentence what a token is.",
    "Write a haiku about autumn rain.",
    "Why does temperature change what a language model writes?",
    "A blue circle on a yellow background.",
]
REFLECTION = "I expect the text to describe it and the image to show it."


#: What each kind of process logs once it takes work (a gpu worker: once its child loaded the
#: models).
CELERY_READY = {"gpu": "generation models in worker child", "default": "ready."}


class CheckFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Any, *, timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}")


def descendants(pid: int) -> set[int]:
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


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path
    # Every pid ever seen below it: a job's ``worker`` names the prefork child that ran it.
    pids: set[int] = field(default_factory=set)

    def note_children(self) -> None:
        if self.popen.poll() is None:
            self.pids |= {self.popen.pid, *descendants(self.popen.pid)}

    def log_has(self, text: str) -> bool:
        try:
            return text in self.log.read_text(errors="replace")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the whole process group: what a machine that dies does to it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


class Deployment:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="deploy-check-"))
        self.media = self.workdir / "media"
        self.media.mkdir()
        self.processes: list[Process] = []
        self.redis: subprocess.Popen | None = None
        self.web_port = free_port()
        self.database_url = args.database_url
        self.env = self._env()

    # --- set-up ---------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        database = 0
        if self.args.redis_url:
            # redis://host:port/N: the broker in database N, the cache in N + 1.
            parts = urlsplit(self.args.redis_url)
            base = f"{parts.scheme}://{parts.netloc}"
            database = int(parts.path.strip("/") or 0)
        else:
            port = free_port()
            self.redis = subprocess.Popen(
                [
                    "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--maxmemory-policy", "noeviction",
                    "--dir", str(self.workdir),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            base = f"redis://127.0.0.1:{port}"
            wait_for(lambda: _redis_answers(port), timeout=20, what="redis-server")
        if base.endswith(":6379") or base.rstrip("/").count(":") < 2:
            raise CheckFailed("port 6379 belongs to CI and other work: give another Redis")
        models_dir = os.environ.get("MODELS_DIR", str(ROOT / "var" / "models"))
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"CELERY_BROKER_URL", "CACHE_URL", "REDIS_URL", "DATABASE_URL"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "gradebook.settings",
                "PYTHONUNBUFFERED": "1",
                "DATABASE_URL": self.database_url,
                "CELERY_BROKER_URL": f"{base}/{database}",
                "CACHE_URL": f"{base}/{database + 1}",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "VAR_DIR": str(self.workdir / "var"),
                "MODELS_DIR": models_dir,
                "MEDIA_ROOT": str(self.media),
                "DB_CONN_MAX_AGE": "600",
                "HF_HUB_OFFLINE": "1",
                "OMP_WAIT_POLICY": "PASSIVE",
                "GENERATION_TORCH_THREADS": str(self.args.torch_threads),
                "GENERATION_HEARTBEAT_S": "1",
                "GENERATION_STALE_AFTER_S": str(self.args.stale_after),
                "GENERATION_REQUEUE_AFTER_S": "30",
                "GENERATION_SWEEP_INTERVAL_S": "2",
                "GENERATION_MAX_WAITING_JOBS": "4",
                # Every student submits from this one address: the submit throttle is not
                # what is measured here.
                "THROTTLE_SUBMIT": "10000/min",
            }
        )
        return env

    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise CheckFailed(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self) -> dict[str, Any]:
        _recreate_database(self.database_url)
        self.manage("migrate", "--noinput", "-v", "0")
        prepare = ["prepare_models"] + (["--tiny-text"] if self.args.tiny_text else [])
        self.manage(*prepare, timeout=1800)
        code = SEED.replace("SPEC", repr(json.dumps(EXERCISE))).replace(
            "range(N)", f"range({self.args.students})"
        )
        seeded = json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])
        models = self.manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.TEXT_MODEL); "
            "print(settings.IMAGE_MODEL)",
        ).split()
        seeded["models"] = {"text": models[-2], "image": models[-1]}
        return seeded

    def spawn(self, name: str, command: list[str]) -> Process:
        log = self.workdir / f"{name}.log"
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=open(log, "wb"),  # noqa: SIM115 - the child owns it until it exits
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def wait_ready(self, process: Process, ready: str, *, timeout: float) -> None:
        wait_for(
            lambda: process.log_has(ready) or _died(process),
            timeout=timeout,
            what=f"{process.name} to start (log: {process.log})",
            interval=0.2,
        )
        if process.popen.poll() is not None:
            raise CheckFailed(f"{process.name} exited at start; see {process.log}")
        process.note_children()

    def celery(self, name: str, queue: str, *, wait: bool = True) -> Process:
        command = [
            str(BIN / "celery"), "-A", "gradebook", "worker", "-Q", queue, "--pool", "prefork",
            "-c", "1", "--prefetch-multiplier", "1", "-n", f"{name}@%h", "-l", "info",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        process = self.spawn(name, command)
        if wait:
            self.wait_ready(process, CELERY_READY[queue], timeout=self.args.timeout)
        return process

    def start_all(self) -> Process:
        """Web, the default worker, beat and the first gpu worker, started side by side."""
        web = self.spawn(
            "web",
            [
                str(BIN / "gunicorn"), "gradebook.wsgi", "-w", str(self.args.web_workers),
                "-b", f"127.0.0.1:{self.web_port}", "--timeout", "120",
            ],
        )  # fmt: skip
        default = self.celery("default", "default", wait=False)
        beat = self.spawn(
            "beat",
            [
                str(BIN / "celery"), "-A", "gradebook", "beat", "-l", "info",
                "-s", str(self.workdir / "beat-schedule"),
            ],
        )  # fmt: skip
        gpu1 = self.celery("gpu1", "gpu", wait=False)
        for process, ready in (
            (web, "Booting worker"),
            (default, CELERY_READY["default"]),
            (beat, "beat: Starting"),
            (gpu1, CELERY_READY["gpu"]),
        ):
            self.wait_ready(process, ready, timeout=self.args.timeout)
        wait_for(self._serving, timeout=self.args.timeout, what="gunicorn to answer")
        return gpu1

    def _serving(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/lti/jwks/", timeout=10)
        except (OSError, urllib.error.HTTPError):
            return False
        return True

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=20)
        with contextlib.suppress(Exception):
            _drop_database(self.database_url)

    # --- driving it -------------------------------------------------------------------------

    def submit_all(self, item: int, tokens: list[str], round_no: int) -> tuple[list[int], float]:
        """Each student submits one exercise at once; returns the job ids and the start time."""

        def submit(index: int) -> list[int]:
            body = {
                "prompt": PROMPTS[index % len(PROMPTS)],
                "reflection": REFLECTION,
                "settings": {
                    "text": {"max_new_tokens": self.args.tokens, "seed": index},
                    "image": {"seed": index},
                },
                "idempotency_key": f"round-{round_no}-{index}-{uuid.uuid4().hex[:6]}",
            }
            reply = self.post(f"/api/exercises/items/{item}/submissions/", body, tokens[index])
            return [job["id"] for job in reply["jobs"]]

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(len(tokens)) as pool:
            ids = [i for jobs in pool.map(submit, range(len(tokens))) for i in jobs]
        return ids, started

    def post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 - http://127.0.0.1
                if reply.status != 201:
                    raise CheckFailed(f"POST {path} answered {reply.status}")
                return json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            raise CheckFailed(f"POST {path} answered {exc.code}: {exc.read()[:500]!r}") from None

    def jobs(self, ids: list[int]) -> list[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(_libpq(self.database_url), row_factory=dict_row) as conn:
            jobs = conn.execute(
                "SELECT id, kind, status, attempts, worker, error, error_detail, progress_step,"
                " queued_at,"
                " started_at, finished_at, timings FROM exercises_generationjob"
                " WHERE id = ANY(%s) ORDER BY id",
                (ids,),
            ).fetchall()
            outputs = conn.execute(
                "SELECT job_id, kind, step, file FROM exercises_generationoutput"
                " WHERE job_id = ANY(%s)",
                (ids,),
            ).fetchall()
        by_job: dict[int, list[dict[str, Any]]] = {}
        for output in outputs:
            by_job.setdefault(output["job_id"], []).append(output)
        for job in jobs:
            job["outputs"] = by_job.get(job["id"], [])
        return jobs

    def wait_finished(self, ids: list[int], workers: list[Process]) -> list[dict[str, Any]]:
        def finished() -> list[dict[str, Any]] | None:
            for worker in workers:
                worker.note_children()
            jobs = self.jobs(ids)
            done = all(j["status"] in ("succeeded", "failed") for j in jobs)
            return jobs if done and len(jobs) == len(ids) else None

        return wait_for(
            finished, timeout=self.args.timeout, what=f"{len(ids)} jobs to finish", interval=0.5
        )


def _died(process: Process) -> bool:
    return process.popen.poll() is not None


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_libpq(url.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_libpq(url.rsplit("/", 1)[0] + "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Checks -----------------------------------------------------------------------------------


def worker_of(job: dict[str, Any], workers: list[Process]) -> str:
    pid = int(str(job["worker"]).rpartition(":")[2] or 0)
    return next((w.name for w in workers if pid in w.pids), f"unknown ({job['worker']})")


def check_exactly_once(
    jobs: list[dict[str, Any]], workers: list[Process], media: Path, *, attempts: int = 1
) -> dict[str, int]:
    """Raise ``CheckFailed`` unless every job ran once, on a gpu worker, with its outputs."""
    per_worker: dict[str, int] = {}
    problems = []
    for job in jobs:
        where = worker_of(job, workers)
        per_worker[where] = per_worker.get(where, 0) + 1
        if job["status"] != "succeeded":
            problems.append(f"job {job['id']} {job['status']}: {job['error_detail'][:200]}")
            continue
        if job["attempts"] != attempts:
            problems.append(f"job {job['id']} was claimed {job['attempts']} times")
        if where.startswith("unknown"):
            problems.append(f"job {job['id']} ran outside the gpu workers: {job['worker']}")
        kinds = [o["kind"] for o in job["outputs"]]
        if job["kind"] == "text" and kinds != ["text"]:
            problems.append(f"text job {job['id']} has outputs {kinds}")
        if job["kind"] == "image" and (kinds.count("image") != 1 or "frame" not in kinds):
            problems.append(f"image job {job['id']} has outputs {kinds}")
        for output in job["outputs"]:
            path = media / output["file"]
            if not path.is_file() or path.stat().st_size == 0:
                problems.append(f"job {job['id']}: {output['file']} is not in the shared folder")
        # generations/<random>/job-<id>/attempt-<n>/: a second run would add another folder.
        runs = sorted(p.name for p in media.glob(f"generations/*/job-{job['id']}/*"))
        if runs != [f"attempt-{job['attempts']}"]:
            problems.append(f"job {job['id']} has output folders {runs}")
    if problems:
        raise CheckFailed("exactly-once check failed:\n  " + "\n  ".join(problems[:20]))
    return per_worker


@dataclass
class RoundResult:
    workers: int
    jobs: int
    seconds: float
    per_worker: dict[str, int]
    queue_wait_median: float
    batch_sizes: list[int]
    # Median worker seconds per job of each kind: a batch's run time over its size.
    cost_per_job: dict[str, float] = field(default_factory=dict)
    # Median bytes each job of a kind left in the shared media folder.
    bytes_per_job: dict[str, float] = field(default_factory=dict)

    @property
    def jobs_per_minute(self) -> float:
        return 60 * self.jobs / self.seconds


def run_round(
    deployment: Deployment, seeded: dict[str, Any], workers: list[Process], round_no: int
) -> RoundResult:
    ids, started = deployment.submit_all(seeded["item"], seeded["tokens"], round_no)
    jobs = deployment.wait_finished(ids, workers)
    per_worker = check_exactly_once(jobs, workers, deployment.media)
    last = max(j["finished_at"] for j in jobs).timestamp()
    waits = [(j["started_at"] - j["queued_at"]).total_seconds() for j in jobs]
    batches = [int((j["timings"] or {}).get("batch_size", 1)) for j in jobs]
    costs: dict[str, list[float]] = {}
    sizes: dict[str, list[int]] = {}
    for job in jobs:
        sizes.setdefault(job["kind"], []).append(
            sum((deployment.media / o["file"]).stat().st_size for o in job["outputs"])
        )
        timings = job["timings"] or {}
        share = float(timings.get("run_seconds", 0)) / max(int(timings.get("batch_size", 1)), 1)
        costs.setdefault(job["kind"], []).append(share)
    return RoundResult(
        workers=len(workers),
        jobs=len(jobs),
        seconds=last - started,
        per_worker=per_worker,
        queue_wait_median=statistics.median(waits),
        batch_sizes=batches,
        cost_per_job={kind: statistics.median(v) for kind, v in costs.items()},
        bytes_per_job={kind: statistics.median(v) for kind, v in sizes.items()},
    )


def kill_mid_job(
    deployment: Deployment, seeded: dict[str, Any], workers: list[Process]
) -> dict[str, Any]:
    """Kill the gpu worker running a long text job; the other one must finish it."""
    for attempt in range(3):
        token = seeded["tokens"][attempt]
        body = {
            "prompt": "Tell a long story about a lighthouse keeper and the sea, in detail.",
            "reflection": REFLECTION,
            "settings": {
                "text": {"max_new_tokens": deployment.args.kill_tokens, "temperature": 1.0}
            },
            "idempotency_key": f"kill-{attempt}-{uuid.uuid4().hex[:6]}",
        }
        reply = deployment.post(f"/api/exercises/items/{seeded['item']}/submissions/", body, token)
        text_job = next(j["id"] for j in reply["jobs"] if j["kind"] == "text")

        def running(text_job: int = text_job) -> dict[str, Any] | None:
            for worker in workers:
                worker.note_children()
            job = deployment.jobs([text_job])[0]
            if job["status"] == "succeeded":
                return {"finished_early": True}
            # A few tokens in: heartbeats written, the run well under way.
            underway = job["status"] == "running" and job["progress_step"] >= 3
            return job if underway else None

        job = wait_for(running, timeout=deployment.args.timeout, what="the long job to start")
        if job.get("finished_early"):
            continue
        victim_name = worker_of(job, workers)
        victim = next((w for w in workers if w.name == victim_name), None)
        if victim is None:
            raise CheckFailed(f"the long job runs in no known worker ({job['worker']})")
        still = deployment.jobs([text_job])[0]
        if still["status"] != "running":
            continue
        killed_at = time.time()
        victim.kill()
        survivor = next(w for w in workers if w is not victim)
        final = deployment.wait_finished([text_job], [survivor])[0]
        final_where = worker_of(final, [survivor, victim])
        if final["status"] != "succeeded":
            raise CheckFailed(f"the job of the killed worker ended {final['status']}")
        if final_where != survivor.name:
            raise CheckFailed(f"the job finished on {final_where}, not on {survivor.name}")
        check_exactly_once([final], [survivor], deployment.media, attempts=2)
        return {
            "job": text_job,
            "killed": victim.name,
            "finished_on": survivor.name,
            "attempts": final["attempts"],
            "restarted_after_kill_s": final["started_at"].timestamp() - killed_at,
            "seconds_after_kill": final["finished_at"].timestamp() - killed_at,
            "stale_after": deployment.args.stale_after,
        }
    raise CheckFailed("three long jobs in a row finished before the worker could be killed")


# --- Report -----------------------------------------------------------------------------------


def report(rounds: list[RoundResult], kill: dict[str, Any] | None, meta: dict[str, Any]) -> str:
    one = [r for r in rounds if r.workers == 1]
    two = [r for r in rounds if r.workers == 2]
    lines = [
        f"{meta['students']} students × 1 exercise (text + image) = {meta['jobs']} jobs per "
        f"round; gunicorn {meta['web_workers']} × sync, PostgreSQL, Redis (own server), "
        f"{meta['torch_threads']} torch thread(s) per worker child; text model "
        f"`{meta['models']['text']}`, image model `{meta['models']['image']}`; "
        f"{meta['tokens']} new tokens per text job; load average before: {meta['load']}.",
        "",
        "| gpu workers | round | jobs | seconds | jobs/min | jobs per worker | median queue wait s"
        " | median batch | worker s per text job | worker s per image job |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for index, r in enumerate(rounds, start=1):
        share = ", ".join(f"{k} {v}" for k, v in sorted(r.per_worker.items()))
        lines.append(
            f"| {r.workers} | {index} | {r.jobs} | {r.seconds:.1f} | {r.jobs_per_minute:.1f} | "
            f"{share} | {r.queue_wait_median:.1f} | {statistics.median(r.batch_sizes):.0f} | "
            f"{r.cost_per_job.get('text', 0):.2f} | {r.cost_per_job.get('image', 0):.2f} |"
        )
    if one and two:
        a = statistics.median(r.jobs_per_minute for r in one)
        b = statistics.median(r.jobs_per_minute for r in two)
        lines += ["", f"Two gpu workers / one: **{b / a:.2f}x** ({b:.1f} vs {a:.1f} jobs/min)."]
    last = rounds[-1]
    lines += [
        "",
        "Outputs in the shared folder per job (median): "
        + ", ".join(f"{kind} {size / 1024:.1f} KiB" for kind, size in last.bytes_per_job.items())
        + ".",
    ]
    lines += [
        "",
        f"Exactly once: all {sum(r.jobs for r in rounds)} jobs succeeded, each claimed once, "
        "with its outputs recorded once and on disk in the shared media folder.",
    ]
    if kill:
        lines.append(
            f"Worker lost mid-job: `{kill['killed']}` was SIGKILLed (parent and child) while "
            f"running text job {kill['job']}; the sweeper re-queued it after its heartbeat was "
            f"{kill['stale_after']} s stale; `{kill['finished_on']}` started it again "
            f"{kill['restarted_after_kill_s']:.1f} s after the kill and completed it "
            f"{kill['seconds_after_kill']:.1f} s after the kill (claims: {kill['attempts']})."
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=24, help="new tokens per text job")
    parser.add_argument("--kill-tokens", type=int, default=200, help="for the long job")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of (one, two) workers")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--stale-after", type=int, default=10, help="GENERATION_STALE_AFTER_S")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for each wait")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/gradebook_deploy_check"
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="redis://host:port/N (broker in N, cache in N+1); default: a private redis-server",
    )
    parser.add_argument("--tiny-text", action="store_true", help="prepare_models --tiny-text")
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    deployment = Deployment(args)
    started = time.monotonic()
    try:
        print(f"deploy check in {deployment.workdir}", flush=True)
        seeded = deployment.prepare()
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        gpu1 = deployment.start_all()
        gpu2: Process | None = None
        rounds: list[RoundResult] = []
        round_no = 0
        for _ in range(args.rounds):
            for count in (1, 2):
                if count == 2 and gpu2 is None:
                    gpu2 = deployment.celery("gpu2", "gpu")
                workers = [gpu1] if count == 1 else [gpu1, gpu2]
                if count == 1 and gpu2 is not None:
                    gpu2.stop()  # warm shutdown: one worker again for the baseline round
                    deployment.processes.remove(gpu2)
                    gpu2 = None
                round_no += 1
                result = run_round(deployment, seeded, workers, round_no)
                rounds.append(result)
                print(
                    f"round {round_no}: {count} gpu worker(s), {result.jobs} jobs in "
                    f"{result.seconds:.1f} s ({result.jobs_per_minute:.1f}/min) "
                    f"{result.per_worker}",
                    flush=True,
                )
        kill = None
        if not args.skip_kill:
            assert gpu2 is not None
            kill = kill_mid_job(deployment, seeded, [gpu1, gpu2])
            print(f"kill: {kill}", flush=True)
        meta = {
            "students": args.students,
            "jobs": 2 * args.students,
            "web_workers": args.web_workers,
            "torch_threads": args.torch_threads,
            "tokens": args.tokens,
            "models": seeded["models"],
            "load": load,
        }
        print()
        print(report(rounds, kill, meta))
        print(f"\n(whole check: {time.monotonic() - started:.0f} s)")
        if args.json:
            figures = {
                "rounds": [r.__dict__ | {"jobs_per_minute": r.jobs_per_minute} for r in rounds],
                "kill": kill,
                "meta": meta,
            }
            print(json.dumps(figures, default=str))
    except CheckFailed as exc:
        print(f"\nFAILED: {exc}\nlogs: {deployment.workdir}", file=sys.stderr)
        deployment.close()
        return 1
    except BaseException:
        print(f"logs: {deployment.workdir}", file=sys.stderr)
        deployment.close()
        raise
    deployment.close()
    shutil.rmtree(deployment.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
