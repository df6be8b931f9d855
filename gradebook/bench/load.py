"""The Django side of the load scripts (``scripts/load_submit.py``, ``scripts/load_students.py``).

The scripts drive real servers from outside; what must run inside Django (enrolling students
with tokens, the in-process cost of one request, a profile of the submit endpoint, counting
what was stored) is here, called through ``manage.py shell -c`` so that it runs with the
scripts' own settings. Each function prints one JSON line the script reads back, or a report.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any


def seed_students(n: int, keys: list[str], course: str = "ai-generation-basics") -> None:
    """Enrol ``n`` students ``load0000``... with API tokens; print them and the items' answers."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from gradebook.courses.models import Course

    found = Course.objects.get(slug=course)
    user_model = get_user_model()
    tokens = []
    for i in range(n):
        user, _ = user_model.objects.get_or_create(username=f"load{i:04d}")
        found.enroll(user)
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    targets = []
    for key in keys:
        item = found.items.get(key=key)
        targets.append({"id": item.pk, "right": str(item.spec["answer"]), "wrong": "12345"})
    print(json.dumps({"tokens": tokens, "items": targets}))


def _client(username: str) -> Any:
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.get(user__username=username).key
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def inprocess_costs(targets: list[tuple[str, str, str]], repeat: int = 200) -> None:
    """CPU time and SQL statements per request, in one process with Django's test client:
    steadier than throughput on a shared machine. Prints ``{name: {cpu_ms, queries, status}}``.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client("load0000")
    out = {}
    for name, path, body in targets:

        def post(path: str = path, body: str = body) -> Any:
            return client.post(
                path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
            )

        for _ in range(20):
            post()
        cpu = []
        for _ in range(repeat):
            started = time.process_time()
            post()
            cpu.append(time.process_time() - started)
        with CaptureQueriesContext(connection) as queries:
            status = post().status_code
        out[name] = {
            "cpu_ms": statistics.median(cpu) * 1000,
            "queries": len(queries),
            "status": status,
        }
    print(json.dumps(out))


def profile_submit(path: str, body: str, requests: int = 40) -> None:
    """Where one submit spends its CPU: cProfile with a CPU clock, restricted to the project's
    code and DRF's authentication and throttling."""
    import cProfile
    import pstats

    client = _client("load0001")

    def post() -> None:
        client.post(
            path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
        )

    for _ in range(10):
        post()
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(requests):
        post()
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(
        r"gradebook/|graders/|rest_framework/(views|throttling|authentication)", 25
    )


def stored_counts() -> None:
    """How many attempts (and bare-endpoint rows, with the bench app) were stored."""
    from django.apps import apps

    from gradebook.quizzes.models import Attempt

    rows = 0
    if apps.is_installed("gradebook.bench"):
        from gradebook.bench.models import BenchmarkRow

        rows = BenchmarkRow.objects.count()
    print(Attempt.objects.count(), rows)


def item_ids(keys: list[str], course: str = "ai-generation-basics") -> None:
    """Print ``{key: item id}`` for the course's items ``keys``."""
    from gradebook.courses.models import Item

    found = Item.objects.filter(course__slug=course, key__in=keys).values_list("key", "pk")
    print(json.dumps(dict(found)))
