"""The first answers after a restart, with and without the grader warm-up, side by side.

Starts gunicorn (one sync worker, PostgreSQL) the way production does, waits until the worker
answers ``/healthz`` (Django loaded), then times the first answers over the API, and the
median of the next ones (the normal time): once with the repository's ``gunicorn.conf.py``,
whose ``post_fork`` starts the worker's grader processes (they import sympy), and once with
an empty config, alternating for ``--rounds`` restarts each. Two answers are timed: one to a
symbolic item whose ``form: factored`` rule needs sympy (the grader pool), and the sample
bank's cross-entropy item (the in-process fast path).

    .venv/bin/python scripts/first_answer.py --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")

FACTORED = """format: 1
course: first-answer
title: First answer after a restart
lessons:
  - slug: l1
    order: 1
    title: One lesson
    items:
      - id: factor-it
        type: symbolic
        text: Factor $x^2 - 1$.
        answer: (x - 1)*(x + 1)
        variables: [x]
        form: factored
"""


def _helpers() -> object:
    spec = importlib.util.spec_from_file_location(
        "load_submit", ROOT / "scripts" / "load_submit.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _post(port: int, path: str, token: str, body: dict[str, object]) -> tuple[float, int]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:  # noqa: S310 (127.0.0.1)
            reply.read()
            status = reply.status
    except urllib.error.HTTPError as error:
        status = error.code
    return (time.perf_counter() - started) * 1000, status


def _serving(port: int, timeout: float = 120.0) -> float:
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30).read()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    sys.exit("gunicorn did not answer /healthz")


def one_restart(config: str, env: dict[str, str], port: int, targets: list, next_n: int) -> dict:
    cmd = [GUNICORN, "gradebook.wsgi", "-c", config, "-w", "1", "-b", f"127.0.0.1:{port}"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        boot = _serving(port)
        out: dict[str, object] = {"boot_s": boot}
        for name, path, token, bodies in targets:
            first, status = _post(port, path, token, bodies[0])
            assert status in (200, 201), (name, status)
            later = [_post(port, path, token, body)[0] for body in bodies[1 : next_n + 1]]
            out[name] = {"first_ms": first, "next_median_ms": statistics.median(later)}
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--next", type=int, default=10, help="answers timed after the first")
    parser.add_argument("--port", type=int, default=8197)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_first_answer"
    )
    args = parser.parse_args()
    helpers = _helpers()
    work = Path(tempfile.mkdtemp(prefix="first_answer_"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": "600",
        "THROTTLE_SUBMIT": "1000/s",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(work / "var"),
    }
    env.pop("CACHE_URL", None)  # the embedded cache: no shared throttle state between runs
    helpers.recreate_database(args.database_url)  # type: ignore[attr-defined]
    run = helpers.run  # type: ignore[attr-defined]
    side = helpers.django_side  # type: ignore[attr-defined]
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PY, "manage.py", "import_bank", "banks/ai-generation-basics.yaml"], env)
    (work / "factored.yaml").write_text(FACTORED)
    run([PY, "manage.py", "import_bank", str(work / "factored.yaml")], env)
    tokens = json.loads(run(side("seed_students(1, [])"), env).strip().splitlines()[-1])["tokens"]
    run(side("seed_students(1, [], course='first-answer')"), env)
    ce = json.loads(run(side("item_ids(['ce-loss'])"), env).strip().splitlines()[-1])["ce-loss"]
    factored = json.loads(
        run(side("item_ids(['factor-it'], course='first-answer')"), env).strip().splitlines()[-1]
    )["factor-it"]
    n = args.next + 1
    targets = [
        (
            "factored form (grader pool)",
            f"/api/items/{factored}/submit/",
            tokens[0],
            [{"response": "(x + 1)*(x - 1)" if i % 2 else "(x-1)*(x+1)"} for i in range(n)],
        ),
        (
            "cross-entropy (in-process)",
            f"/api/items/{ce}/submit/",
            tokens[0],
            [{"response": {"ln_form": "-ln(0.3)", "decimal": f"1.20{i % 5}"}} for i in range(n)],
        ),
    ]
    empty = work / "no-warm-up.conf.py"
    empty.write_text("# gunicorn defaults: no post_fork\n")
    configs = {"warm (gunicorn.conf.py)": str(ROOT / "gunicorn.conf.py"), "cold": str(empty)}
    results: dict[str, list[dict]] = {name: [] for name in configs}
    for round_no in range(args.rounds):
        for name, config in configs.items():
            result = one_restart(config, env, args.port, targets, args.next)
            results[name].append(result)
            print(f"round {round_no + 1} {name}: {json.dumps(result)}", file=sys.stderr)
    print(f"\n{args.rounds} restarts each, one sync worker, load average {os.getloadavg()[0]:.1f}")
    print("\n| config | answer | first answer (median) | next answers (median) |")
    print("|---|---|---|---|")
    for name, rounds in results.items():
        for target, *_ in targets:
            first = statistics.median(r[target]["first_ms"] for r in rounds)
            later = statistics.median(r[target]["next_median_ms"] for r in rounds)
            print(f"| {name} | {target} | {first:.0f} ms | {later:.0f} ms |")


if __name__ == "__main__":
    main()
