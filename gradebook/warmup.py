"""What a fresh web or grading process does once, before its first request or task.

Without it the first answer in each new gunicorn worker paid for the lazy parts of the stack:
the URLconf and every view module imported, the database and cache connections opened, the
hand-written statements prepared, the grader's parsers built (and, before ``post_fork`` started
them, the grader processes importing sympy). ``scripts/first_answer.py`` measures the first
answer after a restart with and without it (docs/benchmarks.md, "The first answer after a
restart"). Every step is best effort: a database that is down must not stop a worker from
starting (``/readyz`` reports it), so failures are logged, not raised.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

#: A numeric and a symbolic spec graded in-process once, so the parsers are built.
_SPECS = (
    ({"id": "warm-n", "type": "numeric", "text": "-", "answer": "-ln(0.3)"}, "1.204"),
    ({"id": "warm-s", "type": "symbolic", "text": "-", "answer": "-ln(0.3)"}, "ln(10/3)"),
)


def warm_up_web() -> float:
    """Warm this process's Django side and grader; returns the seconds it took."""
    started = time.perf_counter()
    for name, step in (
        ("urls", _urls),
        ("database", _database),
        ("cache", _cache),
        ("graders", warm_up_graders),
        ("rendering", _rendering),
    ):
        try:
            step()
        except Exception:
            log.warning("warm-up step %s failed; the first request will do it", name, exc_info=True)
    return time.perf_counter() - started


def warm_up_graders() -> None:
    """Build the grader's parsers by grading two answers in-process (no sympy here)."""
    import graders

    for spec, answer in _SPECS:
        graders.grade(spec, answer)


def _urls() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module


def _database() -> None:
    from django.db import connections

    from gradebook import hotpath

    for connection in connections.all():
        connection.ensure_connection()
    # Runs (and on PostgreSQL prepares) the item query every answer starts with; no row has
    # id 0, so nothing is read.
    hotpath.answerable_item(0, 0)


def _cache() -> None:
    from django.core.cache import cache

    cache.get("warm-up")


def _rendering() -> None:
    # Feedback and lesson text go through Markdown, MathML and the HTML sanitiser: their
    # modules load, and their parsers are built, on first use.
    from gradebook.courses.rendering import render_markdown, render_math

    render_markdown("The loss is $L = -\\ln(p)$: **1.204**.")
    render_math("-\\ln(0.3)")
