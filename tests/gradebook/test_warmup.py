"""The warm-up a new web worker runs before its first request (gunicorn's post_worker_init)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from gradebook import warmup

pytestmark = pytest.mark.django_db


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_it_prepares_the_item_query_every_answer_starts_with():
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    warmup.warm_up_web()
    assert any("courses_enrollment" in sql for sql in _prepared())


def test_a_step_that_fails_is_logged_and_the_rest_still_run(monkeypatch, caplog):
    ran = []

    def broken_cache():
        raise ConnectionError("cache down")

    monkeypatch.setattr(warmup, "_cache", broken_cache)
    monkeypatch.setattr(warmup, "_rendering", lambda: ran.append("rendering"))
    with caplog.at_level(logging.WARNING, logger="gradebook.warmup"):
        seconds = warmup.warm_up_web()
    assert seconds >= 0 and ran == ["rendering"]
    assert "warm-up step cache failed" in caplog.text
