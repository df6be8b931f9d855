"""``python -m graders bench``: the library against a naive sympy grader, side by side.

The naive baseline is what a first attempt looks like: ``parse_expr`` on the student's text (with
``^`` read as a power, to be fair to it) and ``simplify(answer - key) == 0``; an exception is
"invalid". Both grade the same inputs in the same run, one class of input at a time, on one
core (single thread), so answers/s is per core. Hostile inputs are given to the baseline in a
child process that is killed after the same 1 s budget the library works under, because
``parse_expr`` would run them (and ``9**9**9**9`` would never return).

Each input has the verdict a careful teacher gives; "right" counts how many verdicts matched.
"""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graders.api import grade

NUMERIC = {"id": "b-num", "type": "numeric", "text": "A diffusion step takes 0.08 s. Time for 50?",
           "answer": 4, "tolerance": {"relative": 0.01}}  # fmt: skip
CROSS_ENTROPY = {"id": "b-ce", "type": "numeric", "text": "p = 0.3; L = -log(p)?",
                 "answer": "-ln(0.3)", "tolerance": {"absolute": 0.001}}  # fmt: skip
UNITS = {"id": "b-unit", "type": "numeric", "text": "50 steps of 0.08 s: one image?",
         "answer": 4, "unit": "s", "tolerance": {"relative": 0.01}}  # fmt: skip
SYMBOLIC = {"id": "b-sym", "type": "symbolic", "text": "Expand (x+1)^2 + ln(x^2)",
            "answer": "(x+1)^2 + 2*ln(x)", "variables": ["x"]}  # fmt: skip
NATURAL_LOG = {"id": "b-ln", "type": "symbolic", "text": "L = -log(0.3) in natural-log form",
               "answer": "-ln(0.3)", "form": "natural_log"}  # fmt: skip
FACTORED = {"id": "b-fac", "type": "symbolic", "text": "Factor x^2+3x+2",
            "answer": "(x+1)*(x+2)", "variables": ["x"], "form": "factored"}  # fmt: skip

EQUATION = {"id": "b-eq", "type": "symbolic", "text": "The line through (0, 1), slope 2?",
            "answer": "y = 2x + 1", "variables": ["x", "y"]}  # fmt: skip
INTERVAL = {"id": "b-int", "type": "symbolic", "text": "Solve 1 <= x + 1 < 3 for x.",
            "answer": "[0, 2)", "variables": ["x"]}  # fmt: skip
SET = {"id": "b-set", "type": "symbolic", "text": "The roots of (x-1)(x-2)(x-3)?",
       "answer": "{1, 2, 3}"}  # fmt: skip
SPEED = {"id": "b-speed", "type": "numeric", "text": "36 km in an hour: the speed in m/s?",
         "answer": 10, "unit": "m/s", "tolerance": {"relative": 0.01}}  # fmt: skip

C, I, V = "correct", "incorrect", "invalid"  # noqa: E741  (verdict shorthands)

# class name -> (spec, key for the baseline, [(answer, verdict a teacher gives)])
CLASSES: dict[str, tuple[dict[str, Any], str, list[tuple[str, str]]]] = {
    "plain numbers": (
        NUMERIC,
        "4",
        [
            ("4", C),
            ("4.0", C),
            ("4.02", C),
            ("3.99", C),
            ("+4", C),
            ("5", I),
            ("-4", I),
            ("40", I),
            ("0.08", I),
            ("3.9", I),
            ("4e0", C),
            ("0.4e1", C),
        ],
    ),
    "numeric expressions (ln, sqrt, exp)": (
        CROSS_ENTROPY,
        "-ln(0.3)",
        [
            ("-ln(0.3)", C),
            ("ln(10/3)", C),
            ("-log(0.3)", C),
            ("1.204", C),
            ("ln(1/0.3)", C),
            ("sqrt(1.4496)", C),
            ("exp(0.18563)", C),
            ("-log10(0.3)", I),
            ("ln(0.3)", I),
            ("-ln(0.5)", I),
            ("0.3", I),
            ("2ln(3)-ln(0.9*3)", C),
        ],
    ),
    "unit answers": (
        UNITS,
        "4",
        [
            ("4 s", C),
            ("4000 ms", C),
            ("0.0667 min", C),
            ("4 seconds", C),
            ("50*0.08 s", C),
            ("4 sec", C),
            ("4 m", I),
            ("0.08 s", I),
            ("40 s", I),
            ("4 min", I),
            ("4", V),
            ("4 parsecs", V),
        ],
    ),
    "symbolic, in variables": (
        SYMBOLIC,
        "(x+1)**2 + 2*log(x)",
        [
            ("x^2+2x+1+2ln(x)", C),
            ("(1+x)^2+ln(x^2)", C),
            ("(x+1)(x+1)+2*ln(x)", C),
            ("x^2+2*x+1+ln(x)+ln(x)", C),
            ("x^2+2x+2ln(x)", I),
            ("(x+1)^2-2ln(x)", I),
            ("x^2+1+2ln(x)", I),
            ("(x-1)^2+2ln(x)", I),
            ("x(x+2)+1+log(x^2)", C),
            ("(x+1)^2+2log10(x)", I),
        ],
    ),
    "symbolic, natural-log form": (
        NATURAL_LOG,
        "-log(3/10)",
        [
            ("-ln(0.3)", C),
            ("ln(10/3)", C),
            ("-log(0.3)", C),
            ("\\ln\\frac{10}{3}", C),
            ("-ln(3/10)", C),
            ("ln(10)-ln(3)", C),
            ("-log10(0.3)", I),
            ("ln(0.3)", I),
            ("0.3", I),
            ("-ln(0.5)", I),
        ],
    ),
    "symbolic, form rule (grader pool)": (
        FACTORED,
        "(x+1)*(x+2)",
        [
            ("(x+1)(x+2)", C),
            ("(x+2)(x+1)", C),
            ("x^2+3x+2", I),
            ("(x+1)(x+3)", I),
        ],
    ),
    "equations": (
        EQUATION,
        "2*x + 1 - y",
        [
            ("y = 2x + 1", C),
            ("2x - y + 1 = 0", C),
            ("2y = 4x + 2", C),
            ("y - 2x = 1", C),
            ("x = (y - 1)/2", C),
            ("y = 2x - 1", I),
            ("y = x + 1", I),
            ("(y - 2x - 1)^2 = 0", I),
            ("y = 2x + 1 + 10^(-20)", I),
            ("2x + 1", V),
        ],
    ),
    "intervals and inequalities": (
        INTERVAL,
        "Interval.Ropen(0, 2)",
        [
            ("[0, 2)", C),
            ("0 <= x < 2", C),
            ("2 > x >= 0", C),
            ("[0.0, 4/2)", C),
            ("[0, 2]", I),
            ("(0, 2)", I),
            ("[1, 3)", I),
            ("x >= 0", I),
            ("[0, oo]", V),
            ("0, 2", V),
        ],
    ),
    "sets": (
        SET,
        "FiniteSet(1, 2, 3)",
        [
            ("{1, 2, 3}", C),
            ("{3, 2, 1}", C),
            ("{1, 2, 2, 3}", C),
            ("{6/6, sqrt(4), 3.0}", C),
            ("\\{1,2,3\\}", C),
            ("{1, 2}", I),
            ("{1, 2, 3, 4}", I),
            ("{1, 2, 4}", I),
            ("{}", I),
            ("1, 2, 3", V),
        ],
    ),
    "compound units": (
        SPEED,
        "10",
        [
            ("10 m/s", C),
            ("36 km/h", C),
            ("10 m s^-1", C),
            ("1000 cm/s", C),
            ("22.37 mi/h", C),
            ("32.8 ft/s", C),
            ("600 m/min", C),
            ("10 m", I),
            ("36 m/s", I),
            ("10 km/h", I),
            ("10", V),
            ("10 m/parsec", V),
        ],
    ),
    "decimal comma, thousands, unicode": (
        NUMERIC,
        "4",
        [
            ("4,0", V),
            ("4,000", V),
            ("−4", I),
            ("４", C),
            ("4·1", C),
            ("8÷2", C),
        ],
    ),
    "hostile": (
        NUMERIC,
        "4",
        [
            ("__import__('os').getcwd()", V),
            ("().__class__.__bases__", V),
            ("9**9**9**9", V),
            ("1e999999999", V),
            ("factorial(10**9)", V),
            ("(" * 10_000 + ")" * 10_000, V),
            ("x" * 100_000, V),
            ("nan", V),
        ],
    ),
}


@dataclass
class Timing:
    """Per-answer times. ``cpu_s`` is the grading thread's CPU time (``time.thread_time``):
    the machine is shared, so wall-clock times include waiting for a core; ``wall_s`` is shown
    too. Work done in the grader pool is in another process, so for that class the wall time
    is used for both."""

    cpu_s: list[float]
    wall_s: list[float]
    right: int
    total: int
    hung: int = 0

    @property
    def rate(self) -> float:
        mean = statistics.fmean(self.cpu_s)
        return 1.0 / mean if mean > 0 else float("inf")

    def pct(self, q: float, *, wall: bool = False) -> float:
        xs = sorted(self.wall_s if wall else self.cpu_s)
        return xs[min(len(xs) - 1, int(q * len(xs)))]


def _library(
    spec: dict[str, Any], cases: list[tuple[str, str]], reps: int, *, in_pool: bool
) -> Timing:
    right = sum(grade(spec, a).outcome == want for a, want in cases)  # also warms the caches
    cpu: list[float] = []
    wall: list[float] = []
    clock, tclock = time.perf_counter, time.thread_time
    for _ in range(reps):
        for a, _want in cases:
            c0 = tclock()
            t0 = clock()
            grade(spec, a)
            t1 = clock()
            c1 = tclock()
            wall.append(t1 - t0)
            cpu.append(t1 - t0 if in_pool else c1 - c0)
    return Timing(cpu, wall, right, len(cases))


_NAIVE = r"""
import json, sys, time
from sympy import Basic, simplify
from sympy.parsing.sympy_parser import parse_expr, standard_transformations, convert_xor
T = standard_transformations + (convert_xor,)
def naive(answer, key):
    try:
        a = parse_expr(answer, transformations=T)
        if not isinstance(a, Basic):
            return "ran-code"
        return "correct" if simplify(a - parse_expr(key, transformations=T)) == 0 else "incorrect"
    except Exception:
        return "invalid"
print("ready", flush=True)
for line in sys.stdin:
    req = json.loads(line)
    c0, t0 = time.thread_time(), time.perf_counter()
    verdict = naive(req["answer"], req["key"])
    t1, c1 = time.perf_counter(), time.thread_time()
    print(json.dumps({"verdict": verdict, "s": t1 - t0, "cpu": c1 - c0}), flush=True)
"""


class _NaiveProcess:
    """The baseline in a child process, so a hang can be cut off at the budget."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _NAIVE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)  # fmt: skip
        assert self.proc.stdout is not None
        self.proc.stdout.readline()

    def run(self, answer: str, key: str, budget: float) -> tuple[str, float, float] | None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"answer": answer, "key": key}) + "\n")
        self.proc.stdin.flush()
        r, _, _ = select.select([self.proc.stdout], [], [], budget)
        if not r:
            self.close()
            return None
        reply = json.loads(self.proc.stdout.readline())
        return reply["verdict"], reply["s"], reply["cpu"]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _baseline(key: str, cases: list[tuple[str, str]], reps: int, budget: float) -> Timing:
    cpu: list[float] = []
    wall: list[float] = []
    right = hung = 0
    proc = _NaiveProcess()
    try:
        for rep in range(reps):
            for a, want in cases:
                out = proc.run(a, key, budget)
                if out is None:  # over the budget: killed
                    cpu.append(budget)
                    wall.append(budget)
                    if rep == 0:
                        hung += 1
                    proc = _NaiveProcess()
                    continue
                verdict, seconds, cpu_seconds = out
                wall.append(seconds)
                cpu.append(cpu_seconds)
                if rep == 0:
                    right += verdict == want
    finally:
        proc.close()
    return Timing(cpu, wall, right, len(cases), hung)


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def _fmt_us(s: float) -> str:
    us = s * 1e6
    return f"{us:,.0f} µs" if us >= 100 else f"{us:.1f} µs"


def run(*, quick: bool = False, markdown: bool = False) -> int:
    os.environ.setdefault("GRADER_POOL_SIZE", "1")
    from graders.pool import get_pool

    get_pool().warm_up()
    budget = 1.0
    rows = []
    for name, (spec, key, cases) in CLASSES.items():
        slow = name.startswith("symbolic, form") or name == "hostile"
        lib_reps = 3 if quick else (40 if slow else 400)
        base_reps = 1 if (quick or name == "hostile") else 3
        lib = _library(spec, cases, lib_reps, in_pool=name.startswith("symbolic, form"))
        base = _baseline(key, cases, base_reps, budget)
        rows.append((name, len(cases), lib, base))
        print(f"... {name}: library {_fmt_rate(lib.rate)}/s, baseline {_fmt_rate(base.rate)}/s",
              file=sys.stderr)  # fmt: skip
    header = ("class of input", "n", "library answers/s/core", "library p50", "library p99",
              "library wall p99", "naive answers/s/core", "naive p50", "naive p99",
              "speed ratio", "library verdicts right", "naive verdicts right")  # fmt: skip
    table = []
    for name, n, lib, base in rows:
        naive_right = f"{base.right}/{base.total}" + (f" ({base.hung} hung)" if base.hung else "")
        table.append((name, str(n), _fmt_rate(lib.rate), _fmt_us(lib.pct(0.5)),
                      _fmt_us(lib.pct(0.99)), _fmt_us(lib.pct(0.99, wall=True)),
                      _fmt_rate(base.rate), _fmt_us(base.pct(0.5)), _fmt_us(base.pct(0.99)),
                      f"{lib.rate / base.rate:,.0f}×", f"{lib.right}/{lib.total}",
                      naive_right))  # fmt: skip
    _print_table(header, table, markdown)
    return 0


def _print_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], markdown: bool) -> None:
    out: Callable[[str], None] = print
    if markdown:
        out("| " + " | ".join(header) + " |")
        out("|" + "|".join("---" for _ in header) + "|")
        for r in rows:
            out("| " + " | ".join(r) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    out("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        out("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
