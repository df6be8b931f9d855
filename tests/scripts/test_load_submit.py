"""The paced load client times real replies: keep-alive, closed connections and refusals.

Not a timing test: the server here answers at once, and only counts and shapes are checked.
"""

import http.server
import importlib.util
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "load_submit.py"


@pytest.fixture(scope="module")
def load_submit():
    spec = importlib.util.spec_from_file_location("load_submit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _server(status: int, keep_alive: bool):
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers["Idempotency-Key"] + " " + body.decode())
            reply = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            if not keep_alive:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def _requests(students: int) -> list[list[bytes]]:
    return [
        [
            b"POST /x/ HTTP/1.1\r\nHost: 127.0.0.1\r\nIdempotency-Key: sKEY\r\n"
            b"Content-Length: 2\r\n\r\n" + f"{i}{j}".encode()
            for j in range(2)
        ]
        for i in range(students)
    ]


@pytest.mark.parametrize("keep_alive", [True, False])
def test_every_student_answers_at_the_pace_and_each_answer_is_timed(load_submit, keep_alive):
    server, seen = _server(201, keep_alive)
    try:
        result = load_submit.paced_run(
            server.server_address[1], _requests(5), pace_ms=100, warmup=0, seconds=1
        )
    finally:
        server.shutdown()
    # 5 students, one answer per 50-150 ms each, for about a second: never faster than the pace.
    # How many fit in the second depends on how busy the machine is, so the lower bound is only
    # that every student answered (checked on the server's side below).
    assert 5 <= result["n"] <= 150 and result["non2xx"] == 0
    assert 0 < result["p50"] <= result["p90"] <= result["p99"] <= result["max"]
    keys = [line.split()[0] for line in seen]
    assert len(set(keys)) == len(keys), "every answer carries a fresh idempotency key"
    assert {line.split()[1][0] for line in seen} == set("01234")


def test_refused_answers_are_counted(load_submit):
    server, _ = _server(429, keep_alive=True)
    try:
        result = load_submit.paced_run(
            server.server_address[1], _requests(2), pace_ms=100, warmup=0, seconds=1
        )
    finally:
        server.shutdown()
    assert result["n"] > 0 and result["non2xx"] == result["n"]


def test_a_run_works_from_a_thread_whose_event_loop_is_running(load_submit):
    # The whole suite runs Playwright's sync API first, which leaves a loop running in the
    # main thread; here a thread of the test's own runs one, whatever the main thread does.
    import asyncio

    server, _ = _server(201, keep_alive=True)
    results: list[object] = []

    async def caller():
        return load_submit.paced_run(
            server.server_address[1], _requests(2), pace_ms=100, warmup=0, seconds=1
        )

    def in_thread():
        try:
            results.append(asyncio.run(caller()))
        except Exception as exc:  # reported by the assertion below
            results.append(exc)

    thread = threading.Thread(target=in_thread)
    try:
        thread.start()
        thread.join(30)
    finally:
        server.shutdown()
    [result] = results
    assert isinstance(result, dict), result
    assert result["n"] > 0 and result["non2xx"] == 0


@pytest.mark.parametrize(
    ("argv", "expected", "label"),
    [
        (
            ["--server", "granian", "--workers", "2", "--threads", "4"],
            ["--workers", "2", "--blocking-threads", "4"],
            "granian 2 workers x 4 blocking threads (WSGI)",
        ),
        (
            ["--workers", "4", "--worker-class", "gthread", "--threads", "4"],
            ["-w", "4", "-k", "gthread", "--threads", "4"],
            "gunicorn 4 x gthread (threads 4)",
        ),
    ],
)
def test_each_server_is_started_with_its_workers_and_threads(load_submit, argv, expected, label):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="gunicorn")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=8199)
    args = parser.parse_args(argv)
    command = " ".join(load_submit.server_command(args))
    assert " ".join(expected) in command and "127.0.0.1" in command
    assert "gradebook.wsgi:application" in command
    assert ("--interface wsgi" in command) == (args.server == "granian")
    assert load_submit.server_label(args) == label
