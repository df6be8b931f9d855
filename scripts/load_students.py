"""A class under load: N students answering for a minute, with the production rate limit.

Unlike ``load_submit.py`` (which lifts the throttle to measure throughput), this runs what a
deployment runs: gunicorn with persistent PostgreSQL connections, the rate limit counted in
Redis at its default (60 answers a minute per student), sessions a school day long. Each
student waits a think time (±50%) between answers, cycling through right and wrong answers
to three items, over a connection opened when it has an answer to send. It reports every
answer that was not a 2xx (refused, throttled, failed) and every connection error: the goal
is zero of both.

    .venv/bin/python scripts/load_students.py --students 100 --seconds 60 --think-ms 3000

It sets up its own database (``--database-url``), imports the sample bank and enrols the
students. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _helpers() -> object:
    """The database set-up, readiness check and paced client of ``load_submit.py``."""
    spec = importlib.util.spec_from_file_location(
        "load_submit", ROOT / "scripts" / "load_submit.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60, help="timed seconds")
    parser.add_argument("--warmup", type=int, default=5, help="untimed seconds first")
    parser.add_argument("--think-ms", type=int, default=3000, help="mean wait between answers")
    parser.add_argument("--workers", type=int, default=8, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8198)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_students"
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--items", default="raw-pixel-values,forward-noising,sd-latent-size")
    args = parser.parse_args()
    if "127.0.0.1" not in args.database_url or "127.0.0.1" not in args.cache_url:
        sys.exit("This script only talks to 127.0.0.1.")
    helpers = _helpers()

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("THROTTLE_")},
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": "600",
        "CACHE_URL": args.cache_url,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(Path(tempfile.gettempdir()) / "load_students_var"),
    }
    print(f"setting up {args.database_url} ...", file=sys.stderr)
    helpers.recreate_database(args.database_url)  # type: ignore[attr-defined]
    helpers.run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)  # type: ignore[attr-defined]
    helpers.run([PY, "manage.py", "import_bank", "banks/ai-generation-basics.yaml"], env)  # type: ignore[attr-defined]
    keys = [k.strip() for k in args.items.split(",") if k.strip()]
    seed = helpers.django_side(f"seed_students({args.students}, {keys!r})")  # type: ignore[attr-defined]
    out = helpers.run(seed, env)  # type: ignore[attr-defined]
    data = json.loads(out.strip().splitlines()[-1])
    answers = [(it["id"], it[kind]) for it in data["items"] for kind in ("right", "wrong")]
    requests = [
        [
            (
                f"POST /api/items/{item}/submit/ HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
                f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                f"Idempotency-Key: classKEY\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}"
            ).encode()
            for item, body in ((i, json.dumps({"response": r})) for i, r in answers)
        ]
        for token in data["tokens"]
    ]
    gunicorn = subprocess.Popen(
        [GUNICORN, "gradebook.wsgi:application", "-b", f"127.0.0.1:{args.port}",
         "-w", str(args.workers), "--backlog", "2048", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        helpers.wait_until_serving(args.port, args.workers)  # type: ignore[attr-defined]
        started = time.monotonic()
        result = helpers.paced_run(  # type: ignore[attr-defined]
            args.port, requests, args.think_ms, args.warmup, args.seconds
        )
        took = time.monotonic() - started
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    counts = helpers.run(helpers.django_side("stored_counts()"), env)  # type: ignore[attr-defined]
    stored = counts.strip().splitlines()[-1].split()[0]
    print(
        f"\n{args.students} students, think time {args.think_ms} ms ±50%, "
        f"{args.seconds} s timed after {args.warmup} s ({took:.0f} s in all), gunicorn "
        f"{args.workers} sync workers, PostgreSQL DB_CONN_MAX_AGE=600, throttle 60/min in Redis\n"
    )
    print("| answers timed | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | stored |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {result['n']:.0f} | {result['rps']:.1f} | {result['p50']:.1f} | {result['p90']:.1f} "
        f"| {result['p99']:.1f} | {result['max']:.1f} | {result['non2xx']:.0f} | {stored} |"
    )
    if result["non2xx"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
