"""Grader pool processes: ``python -m graders._worker --zygote FD`` (started by
:mod:`graders.pool`) imports sympy once and forks workers on request.

A worker reads length-prefixed JSON requests on its input pipe, grades with sympy allowed, and
writes the result.
Memory is capped with ``RLIMIT_AS`` and CPU time with ``RLIMIT_CPU`` (re-armed before every
task to "CPU used so far + twice the budget"), so a runaway computation dies even if the parent
were not watching. It exits at end of input, which is also what happens when the parent dies.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import signal
import socket
import struct
import sys
import time
from typing import Any

_HEADER = struct.Struct(">I")


def _read(stream: Any, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _write(stream: Any, obj: Any) -> None:
    body = json.dumps(obj).encode()
    stream.write(_HEADER.pack(len(body)) + body)
    stream.flush()


def _limit_memory() -> None:
    mb = int(os.environ.get("GRADER_WORKER_MEMORY_MB", "1024"))
    limit = mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # e.g. a lower hard limit already
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _arm_cpu_limit(budget: float) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = used.ru_utime + used.ru_stime
    soft = math.ceil(cpu + 2 * budget + 1)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def _warm_up() -> None:
    """Pay sympy's first-call costs (lazy imports, caches) before the first timed answer."""
    import sympy

    x = sympy.Symbol("x", positive=True)
    sympy.simplify(sympy.sin(x) ** 2 + sympy.cos(x) ** 2 + sympy.log(x * 2) - sympy.log(2))
    sympy.factor(x**2 + 3 * x + 2)
    sympy.expand((x + 1) ** 3)
    sympy.count_ops(x**2)


def serve(stdin: Any, stdout: Any) -> None:
    """Answer requests until end of input."""
    from graders import api

    _write(stdout, {"ready": True})
    while True:
        head = _read(stdin, _HEADER.size)
        if head is None:
            return
        (n,) = _HEADER.unpack(head)
        body = _read(stdin, n)
        if body is None:
            return
        request = json.loads(body)
        _arm_cpu_limit(float(request.get("budget", 1.0)))
        t0 = time.perf_counter()
        try:
            reply = api.handle_pool_request(request)
        except MemoryError:
            _write(stdout, {"error": "memory limit reached"})
            return  # start afresh: the heap may be fragmented
        except Exception as exc:
            _write(stdout, {"error": f"{type(exc).__name__}: {exc}"})
            continue
        reply["worker_ms"] = (time.perf_counter() - t0) * 1000
        _write(stdout, reply)


def _warm_imports() -> None:
    from graders import api

    _warm_up()
    # One request of each kind, so a freshly forked worker finds the code paths warm.
    for form, answer, key in (("factored", "(x+1)(x+2)", "(x+1)*(x+2)"),
                              ("expanded", "x^2+2x+1", "(x+1)^2"),
                              ("simplified", "x^2/x", "x")):  # fmt: skip
        spec = {"id": f"warm-{form}", "type": "symbolic", "text": "?", "answer": key,
                "variables": ["x"], "form": form}  # fmt: skip
        api.handle_pool_request({"op": "grade", "spec": spec, "response": answer})


def zygote(sock_fd: int) -> None:
    """Import and warm up once, then fork one worker per ``spawn`` request on the socket.

    The request carries the worker's two pipe ends (``SCM_RIGHTS``); the reply is its pid.
    Children are reaped automatically (``SIGCHLD`` ignored). End of file on the socket means
    the pool's process is gone: the zygote exits, and so do the workers (their input closes).
    """
    sock = socket.socket(fileno=sock_fd)
    _warm_imports()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    sock.sendall(b"ready")
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 64, 2)
        except OSError:
            return
        if not msg:
            return
        words = msg.decode().split()
        if len(fds) != 2 or words[:1] != ["spawn"]:
            for fd in fds:
                os.close(fd)
            continue
        req_r, resp_w = fds
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.environ["GRADER_WORKER_MEMORY_MB"] = words[1] if len(words) > 1 else "1024"
                _limit_memory()
                serve(os.fdopen(req_r, "rb", buffering=0), os.fdopen(resp_w, "wb", buffering=0))
            finally:
                os._exit(0)
        os.close(req_r)
        os.close(resp_w)
        sock.sendall(f"pid {pid}".encode())


def main() -> None:
    sys.stdout = sys.stderr  # nothing else may write to a protocol stream
    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        zygote(int(sys.argv[2]))
        return
    # A stand-alone worker on stdin/stdout (for debugging: the pool uses the zygote).
    _warm_imports()
    _limit_memory()
    out = sys.__stdout__
    assert out is not None
    serve(sys.stdin.buffer, out.buffer)


if __name__ == "__main__":
    main()
