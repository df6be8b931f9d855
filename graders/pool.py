"""The hard backstop: a small pool of grader processes with CPU and memory limits.

Parsing caps keep the in-process fast path bounded, but sympy's simplification has no such
guarantee, so any grading that needs sympy runs here. Each worker is a fresh interpreter
(``python -m graders._worker``, started with ``subprocess``, not ``fork``: safe to create lazily
inside gunicorn threads or Celery prefork children) with ``RLIMIT_AS`` and ``RLIMIT_CPU`` set.
A worker that does not answer within the time budget is killed and a replacement is started
in the background; the caller gets ``None`` and reports "undecided".

Settings are read at call time from the environment: ``GRADER_POOL_SIZE`` (default 2),
``GRADER_TIME_BUDGET_S`` (default 1.0), ``GRADER_MEMORY_MB`` (default 1024).
A pool created in one process is never used by a forked child: the child drops the inherited
handles (without touching the parent's workers) and starts its own on first use. Workers exit
on their own when the parent goes away (their stdin reaches end of file).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from typing import Any

_HEADER = struct.Struct(">I")
STARTUP_TIMEOUT_S = 30.0
QUEUE_TIMEOUT_S = 10.0


_OVERRIDES: dict[str, float] = {}


def configure(
    *,
    pool_size: int | None = None,
    time_budget_s: float | None = None,
    memory_mb: int | None = None,
) -> None:
    """Override the environment variables from code (for example from Django settings in an
    ``AppConfig.ready``); ``None`` leaves a setting to the environment. Takes effect on the
    next call (the pool size and memory limit for workers started after it)."""
    for key, value in (("pool_size", pool_size), ("time_budget_s", time_budget_s),
                       ("memory_mb", memory_mb)):  # fmt: skip
        if value is None:
            _OVERRIDES.pop(key, None)
        elif value <= 0:
            raise ValueError(f"{key} must be greater than 0, got {value!r}")
        else:
            _OVERRIDES[key] = value


def _env(name: str, override: str, default: float) -> float:
    if override in _OVERRIDES:
        return _OVERRIDES[override]
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None


def pool_size() -> int:
    """``GRADER_POOL_SIZE`` (default 2), read at call time."""
    return max(1, int(_env("GRADER_POOL_SIZE", "pool_size", 2)))


def time_budget() -> float:
    """``GRADER_TIME_BUDGET_S`` (default 1.0 s per answer), read at call time."""
    return max(0.01, _env("GRADER_TIME_BUDGET_S", "time_budget_s", 1.0))


def memory_limit_mb() -> int:
    """``GRADER_MEMORY_MB`` (default 1024) for each worker's address space."""
    return max(256, int(_env("GRADER_MEMORY_MB", "memory_mb", 1024)))


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["GRADER_WORKER_MEMORY_MB"] = str(memory_limit_mb())
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graders._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self.ready = False
        self.tasks = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read_exact(self, n: int, deadline: float) -> bytes | None:
        assert self.proc.stdout is not None
        try:
            fd = self.proc.stdout.fileno()
        except ValueError:
            return None
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                r, _, _ = select.select([fd], [], [], left)
                if not r:
                    return None
                chunk = os.read(fd, n - len(buf))
            except (OSError, ValueError):  # closed under us by shutdown
                return None
            if not chunk:
                return None  # the worker died (memory or CPU limit, crash)
            buf += chunk
        return buf

    def _read_message(self, deadline: float) -> Any:
        head = self._read_exact(_HEADER.size, deadline)
        if head is None:
            return None
        (n,) = _HEADER.unpack(head)
        body = self._read_exact(n, deadline)
        return None if body is None else json.loads(body)

    def wait_ready(self) -> bool:
        if not self.ready:
            msg = self._read_message(time.monotonic() + STARTUP_TIMEOUT_S)
            self.ready = msg == {"ready": True}
        return self.ready

    def call(self, request: dict[str, Any], budget: float) -> Any:
        assert self.proc.stdin is not None
        body = json.dumps(request, default=str).encode()
        try:
            self.proc.stdin.write(_HEADER.pack(len(body)) + body)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        self.tasks += 1
        return self._read_message(time.monotonic() + budget)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass

    def stop(self) -> None:
        """Ask politely (end of input), then kill."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class GraderPool:
    """Up to ``size`` worker processes, started on demand, replaced when they overrun."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self.killed = 0  # how many workers were killed for overrunning (for tests and stats)

    def worker_pids(self) -> list[int]:
        with self._cond:
            return sorted(w.pid for w in self._workers)

    def _acquire(self) -> _Worker | None:
        deadline = time.monotonic() + QUEUE_TIMEOUT_S
        with self._cond:
            while True:
                while self._idle:
                    w = self._idle.pop()
                    if w.proc.poll() is None:
                        return w
                    self._workers.discard(w)
                if len(self._workers) < pool_size():
                    w = _Worker()
                    self._workers.add(w)
                    return w
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def _release(self, w: _Worker, ok: bool) -> None:
        with self._cond:
            if ok:
                self._idle.append(w)
            else:
                self._workers.discard(w)
            self._cond.notify()
        if not ok:
            w.kill()

    def _replace_in_background(self) -> None:
        """Start a replacement now so the next answer does not pay the interpreter start-up."""
        with self._cond:
            if len(self._workers) >= pool_size():
                return
            w = _Worker()
            self._workers.add(w)

        def warm() -> None:
            ok = w.wait_ready()
            self._release(w, ok)

        threading.Thread(target=warm, daemon=True, name="grader-pool-warm").start()

    def run(self, request: dict[str, Any], budget: float | None = None) -> Any:
        """The worker's reply to ``request``, or None when the budget ran out (worker killed)
        or no worker could be had."""
        budget = time_budget() if budget is None else budget
        w = self._acquire()
        if w is None:
            return None
        if not w.wait_ready():
            self._release(w, False)
            return None
        reply = w.call({**request, "budget": budget}, budget)
        if reply is None:
            self.killed += 1
            self._release(w, False)
            self._replace_in_background()
            return None
        self._release(w, True)
        return reply

    def warm_up(self) -> None:
        """Start every worker now and wait until each is ready (for gunicorn's ``post_fork``
        or Celery's ``worker_process_init``, so the first answers do not wait for start-up)."""
        started: list[_Worker] = []
        with self._cond:
            while len(self._workers) < pool_size():
                w = _Worker()
                self._workers.add(w)
                started.append(w)
        for w in started:
            self._release(w, w.wait_ready())

    def shutdown(self) -> None:
        with self._cond:
            workers = list(self._workers)
            self._workers.clear()
            self._idle.clear()
        if os.getpid() != self.pid:
            return  # a forked child: these are the parent's workers
        for w in workers:
            w.stop()


_POOL: GraderPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool() -> GraderPool:
    """The pool of this process, created on first use (and again after a fork)."""
    global _POOL
    p = _POOL
    if p is not None and p.pid == os.getpid():
        return p
    with _POOL_LOCK:
        if _POOL is None or _POOL.pid != os.getpid():
            _POOL = GraderPool()
        return _POOL


def shutdown_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        p, _POOL = _POOL, None
    if p is not None:
        p.shutdown()


def _after_fork_in_child() -> None:
    global _POOL, _POOL_LOCK
    _POOL = None  # the inherited handles belong to the parent's workers
    _POOL_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(shutdown_pool)
