"""Grades follow to the LMS: the receiver of ``quizzes.signals.grades_changed``.

It runs inside the transaction of every answer, review, override and regrade, so it does
nothing there but register a callback; after the commit, pairs whose item some graded
placement carries are handed to a Celery task (``lti.scores_changed``). A failed publish (the
broker is down) is logged, not raised: the answer is already stored, and the sweeper finds the
change from the database later.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from gradebook.quizzes.signals import grades_changed

log = logging.getLogger(__name__)


@receiver(grades_changed, dispatch_uid="lti-grades-changed")
def _grades_changed(sender: Any, pairs: list[tuple[int, int]], **kwargs: Any) -> None:
    transaction.on_commit(lambda: _after_commit(pairs), robust=True)


def _after_commit(pairs: list[tuple[int, int]]) -> None:
    from gradebook.lti import placements

    placed = placements.placed_item_ids()
    hits = [(student, item) for student, item in pairs if item in placed]
    if hits:
        from gradebook.lti.scores import request_refresh

        request_refresh(hits)
