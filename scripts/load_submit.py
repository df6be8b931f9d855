"""Answer submission under load: submit vs a bare one-row DRF endpoint, side by side.

Sets up its own PostgreSQL database, imports the sample bank, enrols N students with API
tokens, starts the app server (gunicorn, or granian with ``--server granian``) on 127.0.0.1
with persistent database connections
(``DB_CONN_MAX_AGE``) and the benchmark-only bare endpoint (``BENCH=1``: the bench app), then
drives both endpoints with ``wrk`` (N connections, one student token per request in turn,
a fresh Idempotency-Key each time), alternating bare/submit for a few rounds so that both see
the same machine load. Prints a Markdown table (medians over rounds) for docs/benchmarks.md.

    .venv/bin/python scripts/load_submit.py --students 100 --duration 20 --rounds 3
    .venv/bin/python scripts/load_submit.py --server granian --workers 4 --threads 1

``scripts/compare_servers.py`` runs it once per server configuration, one after another, and
tabulates them side by side.

Only 127.0.0.1 is ever contacted. ``wrk`` comes from Debian (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import math
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The interpreter running this script (the project's .venv) also runs manage.py and gunicorn,
# so the script works from a clean export of the repository as well as from the work tree.
PY = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
GRANIAN = str(Path(sys.executable).parent / "granian")


def django_side(call: str) -> list[str]:
    """``manage.py shell -c`` running ``gradebook.bench.load.<call>``."""
    return [PY, "manage.py", "shell", "-c", f"from gradebook.bench import load; load.{call}"]


LUA = r"""
local tokens = TOKENS
local paths = PATHS
local bodies = BODIES
local n = 0

-- setup() runs in the main Lua state and gives each thread its own global "id", so threads
-- start on different students.
function setup(thread)
  thread:set("id", THREADS_SEEN)
  THREADS_SEEN = THREADS_SEEN + 1
end

function request()
  id = id or 0
  n = n + 1
  local t = ((n * NTHREADS + id) % #tokens) + 1
  local j = ((n + id) % #paths) + 1
  local headers = {}
  headers["Authorization"] = "Token " .. tokens[t]
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "w" .. id .. "-" .. n .. "-" .. RUN
  return wrk.format("POST", paths[j], headers, bodies[j])
end
"""


# Paced runs: each of N students answers, waits a think time of PACE ms ±50%, answers
# again. wrk cannot do this faithfully: it reconnects the moment a server closes a connection
# and only then waits, so a sync worker sits blocked on an idle socket for the whole think
# time, which no browser (nor a proxy in front of gunicorn) does. This client opens a
# connection when it has an answer to send (and keeps it while the server allows keep-alive),
# and times each answer from the moment it is sent (connecting included) to the last byte of
# the reply, on the monotonic clock; answers sent in the first WARMUP seconds are not timed.


async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Status and whether the connection stays open, after reading the whole reply."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    await reader.readexactly(int(headers.get("content-length", "0")))
    connection = headers.get("connection", "").lower()
    if lines[0].startswith("HTTP/1.0"):
        return status, connection == "keep-alive"
    return status, connection != "close"


async def _student(
    i: int, port: int, requests: list[bytes], pace: float, warm_until: float, stop_at: float,
    timed: list[float], bad: list[int],
) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    rnd = random.Random(i)
    await asyncio.sleep(rnd.uniform(0, pace))  # spread the first answers over one think time
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    n = 0
    while loop.time() < stop_at:
        n += 1
        request = requests[(i + n) % len(requests)].replace(b"KEY", f"-{i}-{n}".encode())
        sent = loop.time()
        for retry in (False, True):
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                conn[1].write(request)
                status, keep = await _read_reply(conn[0])
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                # A kept-alive connection the server closed meanwhile: once more, on a new one.
                conn = None
                if retry:
                    raise
        if sent >= warm_until:
            timed.append((loop.time() - sent) * 1000)
            if status >= 300:
                bad.append(status)
        if not keep:
            conn[1].close()
            conn = None
        await asyncio.sleep(rnd.uniform(pace / 2, pace * 3 / 2))
    if conn is not None:
        conn[1].close()


def paced_run(
    port: int, requests: list[list[bytes]], pace_ms: int, warmup: int, seconds: int
) -> dict[str, float]:
    """One paced run: student ``i`` sends ``requests[i]`` in turn (KEY: a fresh key each).

    The students' event loop runs in a thread of its own, so the run works from a caller whose
    thread already runs a loop (Playwright's sync API leaves one running under pytest).
    """

    async def main() -> dict[str, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        timed: list[float] = []
        bad: list[int] = []
        await asyncio.gather(*(
            _student(i, port, mine, pace_ms / 1000, start + warmup, start + warmup + seconds,
                     timed, bad)
            for i, mine in enumerate(requests)
        ))  # fmt: skip
        timed.sort()

        def pct(q: float) -> float:
            return timed[max(0, math.ceil(len(timed) * q / 100) - 1)] if timed else float("nan")

        return {
            "rps": len(timed) / seconds, "n": len(timed), "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": pct(100), "non2xx": len(bad),
        }  # fmt: skip

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def run(cmd: list[str], env: dict[str, str], **kw: object) -> str:
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False, **kw)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wait_until_serving(port: int, workers: int, timeout: float = 120.0) -> None:
    """Workers import Django lazily: wait until a few quick answers in a row come back."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    quick = 0
    while time.monotonic() < deadline and quick < 4 * workers:
        started = time.monotonic()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/me/", timeout=30)
        except urllib.error.HTTPError:
            pass  # 401/403 without credentials: the app answered
        except OSError:
            time.sleep(0.2)
            continue
        quick = quick + 1 if time.monotonic() - started < 0.5 else 0
    if quick < 4 * workers:
        sys.exit(f"the app server on 127.0.0.1:{port} was not serving within {timeout:.0f} s")


#: Processes whose CPU time is charged to the requests, by their command name.
CPU_GROUPS = {
    "gunicorn": "app",
    "granian": "app",
    "postgres": "postgres",
    "redis-server": "redis",
    "wrk": "wrk",
}


def cpu_seconds() -> dict[str, float]:
    """User + system CPU seconds so far of every process in CPU_GROUPS, summed per group.

    Read from /proc before and after each run, the difference divided by the requests served
    says where each request's CPU went on this 2-core machine: the app, PostgreSQL, Redis or
    the load generator itself. Backends that exit during a run are lost, which is why the
    app keeps its database connections (DB_CONN_MAX_AGE).
    """
    tick = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(CPU_GROUPS.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        group = CPU_GROUPS.get(name)
        if group is None:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        totals[group] += (int(fields[11]) + int(fields[12])) / tick
    return totals


def parse_wrk(text: str) -> dict[str, float]:
    def ms(value: str, unit: str) -> float:
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    pct = {
        p: ms(v, u)
        for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    }
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": rps,
        "p50": pct.get("50", float("nan")),
        "p90": pct.get("90", float("nan")),
        "p99": pct.get("99", float("nan")),
        "requests": float(total.group(1)) if total else 0.0,
        "non2xx": float(bad.group(1)) if bad else 0.0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def server_command(args: argparse.Namespace) -> list[str]:
    """The command line of the app server under test, both with a 2048-connection backlog."""
    if args.server == "granian":
        return [
            GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(args.port),
            "--workers", str(args.workers), "--blocking-threads", str(args.threads),
            "--backlog", "2048", "--log-level", "warning", "--no-ws",
            "gradebook.wsgi:application",
        ]  # fmt: skip
    return [
        GUNICORN, "gradebook.wsgi:application", "-b", f"127.0.0.1:{args.port}",
        "-w", str(args.workers), "-k", args.worker_class, "--threads", str(args.threads),
        "--backlog", "2048", "--log-level", "warning",
    ]  # fmt: skip


def server_label(args: argparse.Namespace) -> str:
    if args.server == "granian":
        return f"granian {args.workers} workers x {args.threads} blocking threads (WSGI)"
    return f"gunicorn {args.workers} x {args.worker_class} (threads {args.threads})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--students", type=int, default=100, help="concurrent students (connections)"
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="bare/submit pairs (medians reported)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per endpoint")
    parser.add_argument(
        "--server", choices=["gunicorn", "granian"], default="gunicorn", help="the WSGI server"
    )
    parser.add_argument("--workers", type=int, default=4, help="app server worker processes")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="threads per worker (gunicorn --threads, granian --blocking-threads)",
    )  # fmt: skip
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/bench_student"
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/4", help="throttle counters")
    parser.add_argument("--items", default="raw-pixel-values,forward-noising,sd-latent-size")
    parser.add_argument(
        "--paced",
        default="1000,250",
        help="think times in ms (comma-separated; empty for none): after the saturation "
        "rounds, each student waits this long (±50%%) between answers, and latency is read "
        "at that offered load",
    )
    parser.add_argument(
        "--paced-warmup", type=int, default=5,
        help="seconds at the start of each paced run whose requests are not timed",
    )  # fmt: skip
    parser.add_argument(
        "--profile", action="store_true", help="print where one submit spends its CPU, then stop"
    )
    parser.add_argument("--json", help="also write the medians to this file (compare_servers.py)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    if args.server == "granian" and not Path(GRANIAN).exists():
        sys.exit("granian is not installed in this venv: pip install -r requirements/dev.txt")
    if "127.0.0.1" not in args.database_url:
        sys.exit("This script only talks to 127.0.0.1.")

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DB_CONN_MAX_AGE": "600",
        "CACHE_URL": args.cache_url,
        "BENCH": "1",
        # A per-second window keeps the throttle (and its cache round trips) in the measured
        # path without refusing students who answer every 0.1 s.
        "THROTTLE_SUBMIT": "1000/s",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(Path(tempfile.gettempdir()) / "load_submit_var"),
    }
    print(f"setting up {args.database_url} ...", file=sys.stderr)
    recreate_database(args.database_url)
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PY, "manage.py", "import_bank", "banks/ai-generation-basics.yaml"], env)
    keys = [k.strip() for k in args.items.split(",") if k.strip()]
    seeded = run(django_side(f"seed_students({args.students}, {keys!r})"), env)
    data = json.loads(seeded.strip().splitlines()[-1])

    bodies = [
        json.dumps({"response": it[kind]}) for it in data["items"] for kind in ("right", "wrong")
    ]
    submit_paths = [f"/api/items/{it['id']}/submit/" for it in data["items"] for _ in (0, 1)]
    first = data["items"][0]
    targets = [
        ("bare", "/api/bench/bare/", bodies[0]),
        ("submit (right)", f"/api/items/{first['id']}/submit/", bodies[0]),
        ("submit (wrong)", f"/api/items/{first['id']}/submit/", bodies[1]),
    ]
    if args.profile:
        call = f"profile_submit({targets[1][1]!r}, {targets[1][2]!r})"
        print(run(django_side(call), {**env, "ALLOWED_HOSTS": "testserver"}))
        return
    measured = run(
        django_side(f"inprocess_costs({targets!r}, 200)"), {**env, "ALLOWED_HOSTS": "testserver"}
    )
    inprocess = json.loads(measured.strip().splitlines()[-1])
    print(f"in-process: {json.dumps(inprocess)}", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="load_submit_"))
    paths_for = {"bare": ["/api/bench/bare/"] * len(bodies), "submit": submit_paths}

    def script(name: str, tag: str) -> Path:
        """A wrk script for one run; ``tag`` keeps its idempotency keys unique."""
        lua = (
            LUA.replace("TOKENS", lua_list(data["tokens"]))
            .replace("PATHS", lua_list(paths_for[name]))
            .replace("BODIES", lua_list(bodies))
            .replace("NTHREADS", str(args.wrk_threads))
            .replace("RUN", json.dumps(f"{name}{tag}"))
        )
        path = work / f"{name}{tag}.lua"
        path.write_text("THREADS_SEEN = 0\n" + lua)
        return path

    server = subprocess.Popen(server_command(args), env=env, cwd=ROOT)
    results: dict[str, list[dict[str, float]]] = {"bare": [], "submit": []}
    paced: dict[tuple[int, str], dict[str, float]] = {}
    paces = [int(p) for p in args.paced.split(",") if p.strip()]
    try:
        wait_until_serving(args.port, args.workers)
        url = f"http://127.0.0.1:{args.port}"

        def wrk(name: str, tag: str, seconds: int) -> dict[str, float]:
            before = cpu_seconds()
            wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            out = subprocess.run(
                ["wrk", "-t", str(args.wrk_threads), "-c", str(args.students), "-d", f"{seconds}s",
                 "--latency", "--timeout", "10s", "-s", str(script(name, tag)), url],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            after = cpu_seconds()
            wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # wrk has exited by now, so /proc no longer shows it: its CPU comes from rusage.
            after["wrk"] = before["wrk"] + (
                wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime
            )
            result = parse_wrk(out)
            served = max(result["requests"], 1.0)
            for group in after:
                result[f"cpu_{group}"] = (after[group] - before[group]) * 1000 / served
            return result

        for name in ("bare", "submit"):
            wrk(name, "warmup", args.warmup)
        for run_id in range(1, args.rounds + 1):
            for name in ("bare", "submit"):
                result = wrk(name, str(run_id), args.duration)
                results[name].append(result)
                print(f"round {run_id} {name:6s} {json.dumps(result)}", file=sys.stderr)
        for pace in paces:
            for name in ("bare", "submit"):
                requests = [
                    [
                        (
                            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
                            f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                            f"Idempotency-Key: {name}{pace}KEY\r\n"
                            f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
                        ).encode()
                        for path, body in zip(paths_for[name], bodies, strict=True)
                    ]
                    for token in data["tokens"]
                ]
                result = paced_run(args.port, requests, pace, args.paced_warmup, args.duration)
                paced[(pace, name)] = result
                print(f"paced {pace} ms {name:6s} {json.dumps(result)}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)

    counts = run(django_side("stored_counts()"), env).strip().splitlines()[-1].split()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    ratio = med("submit", "rps") / med("bare", "rps")
    print()
    cache = args.cache_url.split("://")[0]
    print(
        f"{args.students} concurrent students, {args.duration} s x {args.rounds} rounds per "
        f"endpoint, {server_label(args)}, "
        f"PostgreSQL DB_CONN_MAX_AGE=600, throttle counters in {cache}"
    )
    print()
    print("| endpoint | req/s (median) | p50 ms | p90 ms | p99 ms | non-2xx | rounds req/s |")
    print("|---|---|---|---|---|---|---|")
    for name in ("bare", "submit"):
        rounds = ", ".join(f"{r['rps']:.0f}" for r in results[name])
        bad = sum(r["non2xx"] for r in results[name])
        print(
            f"| {name} | {med(name, 'rps'):.0f} | {med(name, 'p50'):.1f} | "
            f"{med(name, 'p90'):.1f} | {med(name, 'p99'):.1f} | {bad:.0f} | {rounds} |"
        )
    print()
    groups = list(dict.fromkeys(CPU_GROUPS.values()))
    print("| CPU ms per request, by process | " + " | ".join(groups) + " | all |")
    print("|---|" + "---|" * (len(groups) + 1))
    for name in ("bare", "submit"):
        cells = [med(name, f"cpu_{g}") for g in groups]
        print(f"| {name} | " + " | ".join(f"{c:.2f}" for c in cells) + f" | {sum(cells):.2f} |")
    if paced:
        print()
        print(
            f"Paced: {args.students} students, each waiting the think time (±50%) between "
            f"answers (connecting when it has one to send); each answer timed from send to "
            f"reply, after the first {args.paced_warmup} s of each "
            f"{args.duration + args.paced_warmup} s run."
        )
        print()
        print(
            "| think time | endpoint | req/s | timed | p50 ms | p90 ms | p99 ms | max ms "
            "| non-2xx |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for (pace, name), r in paced.items():
            print(
                f"| {pace} ms | {name} | {r['rps']:.0f} | {r['n']:.0f} | {r['p50']:.1f} | "
                f"{r['p90']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['non2xx']:.0f} |"
            )
    print()
    print("| in one process | CPU ms per request (median of 200) | SQL statements |")
    print("|---|---|---|")
    for name, m in inprocess.items():
        print(f"| {name} | {m['cpu_ms']:.2f} | {m['queries']} |")
    print()
    print(
        f"submit / bare throughput: {ratio:.2f}x; rows written: {counts[0]} attempts, "
        f"{counts[1]} bare rows"
    )
    if args.json:
        summary = {
            "server": server_label(args),
            "bare_rps": med("bare", "rps"),
            "submit_rps": med("submit", "rps"),
            "ratio": ratio,
            "submit_p99_ms": med("submit", "p99"),
            "cpu_ms": {name: {g: med(name, f"cpu_{g}") for g in groups} for name in results},
            "paced": {
                f"{pace} {name}": {k: r[k] for k in ("rps", "p50", "p99", "non2xx")}
                for (pace, name), r in paced.items()
            },
        }
        Path(args.json).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
