"""schemathesis against the OpenAPI schema: no student-facing operation answers a 500.

Bounded on purpose (a few examples per operation and mode, well under a minute): the point is
to catch crashes on malformed or unexpected input, not to search exhaustively. Path parameters
are pinned to real objects the student can reach, so requests get past the 404 and into the
serializers and graders; a second pass leaves them free.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from gradebook.quizzes import api
from gradebook.wsgi import application
from tests.gradebook.quizzes.factories import item

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

#: The student's surface: courses, lessons, items, interpret, submit, attempts, progress, account.
STUDENT_PATHS = r"^/api/(courses|items|attempts|progress|me|join|auth)/"


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calls go through the WSGI app, not Django's test client: like the test client, stop
    request_finished from closing the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    monkeypatch.setattr(api.SubmitThrottle, "THROTTLE_RATES", {"submit": "100000/min"})
    monkeypatch.setattr(api.InterpretThrottle, "THROTTLE_RATES", {"interpret": "100000/min"})


def _operations(token: str):
    # The schema needs a login, like every other API read.
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", application, headers={"Authorization": f"Token {token}"}
    )
    return [r.ok() for r in schema.include(path_regex=STUDENT_PATHS).get_all_operations()]


def test_no_student_operation_answers_a_500(course, enrolled):
    token = Token.objects.create(user=enrolled).key
    pinned = {
        "item_id": item(course, "ce-loss").pk,
        "slug": course.slug,
        "lesson_slug": "text-vs-images",
    }
    failures: list[str] = []
    requests = []
    calls = 0
    operations = _operations(token)
    assert len(operations) >= 10

    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        mine = {k: v for k, v in pinned.items() if k in names}
        passes = [(GenerationMode.POSITIVE, mine), (GenerationMode.NEGATIVE, mine)]
        if names:
            passes.append((GenerationMode.POSITIVE, None))  # free ids and slugs: 404s, not 500s
        for mode, params in passes:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=params)

            @settings(
                max_examples=3,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case):
                response = case.call(headers={"Authorization": f"Token {token}"})
                requests.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

            try:
                check()
            except Unsatisfiable:
                # Nothing to make invalid (e.g. a GET with no parameters in negative mode).
                continue
            calls += 1
    assert failures == []
    assert calls >= len(operations)
    print(f"schemathesis: {len(operations)} operations, {len(requests)} requests, no 5xx")
