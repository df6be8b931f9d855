"""A grader pool worker: ``python -m graders._worker`` (started by :mod:`graders.pool`).

Reads length-prefixed JSON requests on stdin, grades with sympy allowed, writes the result.
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


def main() -> None:
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write to the protocol stream
    from graders import (
        api,
        symbolic,  # noqa: F401
    )

    _limit_memory()
    _warm_up()
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


if __name__ == "__main__":
    main()
