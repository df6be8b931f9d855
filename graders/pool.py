"""The hard backstop: a small pool of grader processes with CPU and memory limits.

Parsing caps keep the in-process fast path bounded, but sympy's simplification has no such
guarantee, so any grading that needs sympy runs here. The pool starts a *zygote* (a fresh
interpreter, ``python -m graders._worker --zygote``, started with ``subprocess``, not a fork of
this process: safe to create lazily inside gunicorn threads or Celery prefork children), which
imports sympy once and forks workers on request. Each worker sets ``RLIMIT_AS`` and re-arms
``RLIMIT_CPU`` per task. A worker that does not answer within the time budget is killed and a
replacement is forked in the background; the caller gets ``None`` and reports "undecided".

Settings are read at call time from the environment (or :func:`configure`):
``GRADER_POOL_SIZE`` (default 2), ``GRADER_TIME_BUDGET_S`` (default 1.0), ``GRADER_MEMORY_MB``
(default 1024). A pool created in one process is never used by a forked child: the child
closes the inherited handles (without signalling the parent's workers) and starts its own on
first use. Workers and the zygote exit on their own when this process goes away (their input
reaches end of file), and are stopped at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import socket
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


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


class _Zygote:
    """A process that imported sympy once and forks a worker on request (a few ms, instead of
    the ~1.5 s a fresh interpreter needs to import sympy): replacing a killed worker is cheap,
    so an answer that overruns cannot make the pool spend seconds of CPU per attack.

    Spawning passes the worker's two pipe ends over a Unix socket (``SCM_RIGHTS``); the
    zygote ignores ``SIGCHLD`` so its children are reaped automatically, and it exits when the
    socket reaches end of file (this process went away).
    """

    def __init__(self) -> None:
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graders._worker", "--zygote", str(theirs.fileno())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_worker_env(),
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        self.lock = threading.Lock()
        self.ready = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, memory_mb: int) -> tuple[int, int, int] | None:
        """(pid, fd to write requests, fd to read replies) of a new worker, or None."""
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        try:
            with self.lock:
                if not self.ready:
                    self.sock.settimeout(STARTUP_TIMEOUT_S)
                    if self.sock.recv(16) != b"ready":
                        raise OSError("the zygote did not start")
                    self.ready = True
                self.sock.settimeout(STARTUP_TIMEOUT_S)
                socket.send_fds(self.sock, [f"spawn {memory_mb}".encode()], [req_r, resp_w])
                reply = self.sock.recv(32)
            if not reply.startswith(b"pid "):
                raise OSError(f"unexpected zygote reply {reply!r}")
            pid = int(reply[4:])
        except (OSError, ValueError):
            for fd in (req_w, resp_r):
                os.close(fd)
            return None
        finally:
            os.close(req_r)
            os.close(resp_w)
        return pid, req_w, resp_r

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def abandon(self) -> None:
        """In a forked child: close our copy of the socket, leave the process alone."""
        with contextlib.suppress(OSError):
            self.sock.close()


class _Worker:
    def __init__(self, pid: int, req_w: int, resp_r: int) -> None:
        self.pid = pid
        self.req_w = req_w
        self.resp_r = resp_r
        self.ready = False
        self.tasks = 0
        self.closed = False
        self.dead = False  # set when its pipes broke (as opposed to a budget overrun)

    def alive(self) -> bool:
        if self.closed:
            return False
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        try:  # a zombie still answers kill(0)
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
        except (OSError, IndexError):
            return True

    def _read_exact(self, n: int, deadline: float) -> bytes | None:
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            try:
                r, _, _ = select.select([self.resp_r], [], [], left)
                if not r:
                    return None
                chunk = os.read(self.resp_r, n - len(buf))
            except (OSError, ValueError):  # closed under us by shutdown
                self.dead = True
                return None
            if not chunk:
                self.dead = True  # the worker died (memory or CPU limit, crash, killed)
                return None
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
        body = json.dumps(request, default=str).encode()
        try:
            os.write(self.req_w, _HEADER.pack(len(body)) + body)
        except OSError:  # BrokenPipeError: it died while idle
            self.dead = True
            return None
        self.tasks += 1
        return self._read_message(time.monotonic() + budget)

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            for fd in (self.req_w, self.resp_r):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        self._close()

    def stop(self) -> None:
        """End of input makes the worker exit; the kill is for one stuck in a computation."""
        self._close()
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)

    def abandon(self) -> None:
        """In a forked child: close our copies of the pipes, leave the process alone."""
        self._close()


class GraderPool:
    """Up to ``size`` worker processes, started on demand, replaced when they overrun."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers: set[_Worker] = set()
        self._starting = 0  # slots reserved by threads that are spawning a worker
        self._zygote: _Zygote | None = None
        self._zygote_lock = threading.Lock()
        self.killed = 0  # how many workers were killed for overrunning (for tests and stats)

    def worker_pids(self) -> list[int]:
        with self._cond:
            return sorted(w.pid for w in self._workers)

    def process_pids(self) -> list[int]:
        """The workers and the zygote: every process this pool started."""
        z = self._zygote
        return sorted([*self.worker_pids(), *([z.proc.pid] if z is not None else [])])

    def _reserve(self) -> bool:
        """Under ``_cond``: take a slot for a new worker if the pool is not full."""
        if len(self._workers) + self._starting >= pool_size():
            return False
        self._starting += 1
        return True

    def _spawn_reserved(self) -> _Worker | None:
        """Outside ``_cond``: start a worker in a reserved slot (ready or not)."""
        try:
            with self._zygote_lock:
                if self._zygote is None or not self._zygote.alive():
                    if self._zygote is not None:
                        self._zygote.stop()
                    self._zygote = _Zygote()
                zygote = self._zygote
            got = zygote.spawn(memory_limit_mb())
            w = None if got is None else _Worker(*got)
        except OSError:
            w = None
        with self._cond:
            self._starting -= 1
            if w is not None:
                self._workers.add(w)
            self._cond.notify()
        return w

    def _acquire(self) -> _Worker | None:
        deadline = time.monotonic() + QUEUE_TIMEOUT_S
        with self._cond:
            while True:
                while self._idle:
                    w = self._idle.pop()
                    if w.alive():
                        return w
                    self._workers.discard(w)
                    w.kill()
                if self._reserve():
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
        return self._spawn_reserved()

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
        """Start a replacement now so the next answer finds a ready worker."""
        with self._cond:
            if not self._reserve():
                return

        def warm() -> None:
            w = self._spawn_reserved()
            if w is not None:
                self._release(w, w.wait_ready())

        threading.Thread(target=warm, daemon=True, name="grader-pool-warm").start()

    def run(self, request: dict[str, Any], budget: float | None = None) -> Any:
        """The worker's reply to ``request``, or None when the budget ran out (worker killed)
        or no worker could be had."""
        budget = time_budget() if budget is None else budget
        for _attempt in range(3):
            w = self._acquire()
            if w is None:
                return None
            if not w.wait_ready():
                self._release(w, False)
                continue
            t0 = time.monotonic()
            reply = w.call({**request, "budget": budget}, budget)
            if reply is not None:
                self._release(w, True)
                return reply
            self._release(w, False)
            if w.dead and time.monotonic() - t0 < budget / 2:
                continue  # it had died while idle (killed from outside): try another
            self.killed += 1
            self._replace_in_background()
            return None
        return None

    def warm_up(self) -> None:
        """Start every worker now and wait until each is ready (for gunicorn's ``post_fork``
        or Celery's ``worker_process_init``, so the first answers do not wait for start-up)."""
        started: list[_Worker] = []
        while True:
            with self._cond:
                if not self._reserve():
                    break
            w = self._spawn_reserved()
            if w is None:
                break
            started.append(w)
        for w in started:
            self._release(w, w.wait_ready())

    def shutdown(self) -> None:
        with self._cond:
            workers = list(self._workers)
            self._workers.clear()
            self._idle.clear()
        with self._zygote_lock:
            zygote, self._zygote = self._zygote, None
        if os.getpid() != self.pid:
            self.abandon(workers, zygote)  # a forked child: these are the parent's workers
            return
        for w in workers:
            w.stop()
        if zygote is not None:
            zygote.stop()

    def abandon(self, workers: list[_Worker] | None = None, zygote: _Zygote | None = None) -> None:
        """Close the handles a forked child inherited, without touching the processes (they
        belong to the parent), so the parent's workers still see end of input when it exits."""
        for w in workers if workers is not None else list(self._workers):
            w.abandon()
        z = zygote if zygote is not None else self._zygote
        if z is not None:
            z.abandon()


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
    inherited, _POOL = _POOL, None  # the inherited handles belong to the parent's workers
    _POOL_LOCK = threading.Lock()
    if inherited is not None:
        inherited.abandon()  # (no locks taken: one may have been held by a thread at fork time)


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(shutdown_pool)
