"""How many requests/s the stack itself serves on this machine, with nothing of the app in it.

The answer-submission goal of 1,000 requests/s needs a ceiling above it. This script measures
that ceiling, one layer at a time, the same way ``scripts/load_submit.py`` measures the app
(gunicorn on 127.0.0.1, ``wrk`` with N connections, CPU per request by process from /proc):

- ``wsgi``: a bare WSGI function under gunicorn (gunicorn, the kernel and wrk alone);
- ``django``: a Django view that parses the JSON body, with no middleware, no auth, no DRF;
- ``django + insert``: the same view writing one row to PostgreSQL (persistent connection);
- ``drf``: a DRF ``APIView`` with no authentication, permission or throttle;
- ``drf + insert``: the DRF view writing one row.

The app's own bare endpoint (token auth, middleware, one row) and submit are measured by
``load_submit.py``. Only 127.0.0.1 is contacted; it creates and drops its own database.

    .venv/bin/python scripts/stack_ceiling.py --duration 10 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_submit import cpu_seconds, parse_wrk, recreate_database

GUNICORN = str(Path(sys.executable).parent / "gunicorn")

FILES = {
    "hello.py": """
def application(environ, start_response):
    environ["wsgi.input"].read()
    body = b'{"id": 1}'
    start_response("201 Created", [("Content-Type", "application/json"),
                                   ("Content-Length", str(len(body)))])
    return [body]
""",
    "ceiling_settings.py": """
import os
SECRET_KEY = "ceiling-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "ceiling_urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"]
MIDDLEWARE = []
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["CEILING_DB"],
    "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432", "CONN_MAX_AGE": 600,
}}
USE_TZ = True
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [], "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
""",
    "ceiling_urls.py": """
import json
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

INSERT = "INSERT INTO ceiling_row (payload, created_at) VALUES (%s, now()) RETURNING id"

def _insert(data):
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [json.dumps(data)])
        return cursor.fetchone()[0]

def plain(request):
    json.loads(request.body)
    return HttpResponse(b'{"id": 1}', status=201, content_type="application/json")

def plain_insert(request):
    pk = _insert(json.loads(request.body))
    return HttpResponse(json.dumps({"id": pk}), status=201, content_type="application/json")

class Drf(APIView):
    def post(self, request):
        request.data
        return Response({"id": 1}, status=201)

class DrfInsert(APIView):
    def post(self, request):
        return Response({"id": _insert(request.data)}, status=201)

urlpatterns = [
    path("plain/", plain), path("plain-insert/", plain_insert),
    path("drf/", Drf.as_view()), path("drf-insert/", DrfInsert.as_view()),
]
""",
    "ceiling_wsgi.py": """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ceiling_settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
""",
    "post.lua": """
wrk.method = "POST"
wrk.body = '{"response": "12345"}'
wrk.headers["Content-Type"] = "application/json"
""",
}

LAYERS = [
    ("wsgi", "hello:application", "/"),
    ("django", "ceiling_wsgi:application", "/plain/"),
    ("django + insert", "ceiling_wsgi:application", "/plain-insert/"),
    ("drf", "ceiling_wsgi:application", "/drf/"),
    ("drf + insert", "ceiling_wsgi:application", "/drf-insert/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per layer (medians)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8299)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_ceiling"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    if "127.0.0.1" not in args.database_url:
        sys.exit("This script only talks to 127.0.0.1.")

    import psycopg

    recreate_database(args.database_url)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE ceiling_row (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " payload jsonb NOT NULL, created_at timestamptz NOT NULL)"
        )
    work = Path(tempfile.mkdtemp(prefix="stack_ceiling_"))
    for name, text in FILES.items():
        (work / name).write_text(text.lstrip())
    env = {**os.environ, "CEILING_DB": args.database_url.rsplit("/", 1)[1], "PYTHONPATH": str(work)}
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in LAYERS}
    try:
        for round_no in range(1, args.rounds + 1):
            for name, app, path in LAYERS:
                server = subprocess.Popen(
                    [GUNICORN, app, "--chdir", str(work), "-b", f"127.0.0.1:{args.port}",
                     "-w", str(args.workers), "--backlog", "2048", "--log-level", "warning"],
                    env=env,
                )  # fmt: skip
                try:
                    url = f"http://127.0.0.1:{args.port}{path}"
                    time.sleep(2)
                    wrk = [
                        "wrk",
                        "-t",
                        "2",
                        "-c",
                        str(args.connections),
                        "-s",
                        str(work / "post.lua"),
                    ]
                    subprocess.run([*wrk, "-d", "3s", url], capture_output=True, check=True)
                    before = cpu_seconds()
                    out = subprocess.run(
                        [*wrk, "-d", f"{args.duration}s", "--latency", url],
                        capture_output=True, text=True, check=True,
                    ).stdout  # fmt: skip
                    after = cpu_seconds()
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                result = parse_wrk(out)
                served = max(result["requests"], 1.0)
                for group in ("gunicorn", "postgres"):
                    result[f"cpu_{group}"] = (after[group] - before[group]) * 1000 / served
                results[name].append(result)
                print(f"round {round_no} {name}: {result['rps']:.0f} req/s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.connections} connections, {args.duration} s x {args.rounds} rounds per layer, "
        f"gunicorn {args.workers} x sync, no middleware\n"
    )
    print(
        "| layer | req/s (median) | rounds req/s | CPU ms/request: gunicorn | postgres | p99 ms |"
    )
    print("|---|---|---|---|---|---|")
    for name, _, _ in LAYERS:
        rows = results[name]

        def med(key: str, rows: list[dict[str, float]] = rows) -> float:
            return statistics.median(r[key] for r in rows)

        rounds = ", ".join(f"{r['rps']:.0f}" for r in rows)
        print(
            f"| {name} | {med('rps'):.0f} | {rounds} | {med('cpu_gunicorn'):.2f} | "
            f"{med('cpu_postgres'):.2f} | {med('p99'):.1f} |"
        )


if __name__ == "__main__":
    main()
