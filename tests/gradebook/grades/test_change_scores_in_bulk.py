"""Attempt.change_scores_in_bulk: the same history as change_score, in a few statements."""

from __future__ import annotations

import pytest

from gradebook.quizzes.models import Attempt, GradeChange, GradeSource

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


def test_it_writes_each_change_and_each_attempts_own_values(
    tara, alice, bob, numeric_item, django_assert_max_num_queries
):
    a = make_attempt(alice, numeric_item, "1.2", score=0.0)
    b = make_attempt(bob, numeric_item, "1.2", score=0.0)
    c = make_attempt(bob, numeric_item, "ln(0.3)", score=1.0, correct=True)
    a.correct = b.correct = True
    c.correct = False
    c.interpreted_as = "ln(0.3)"
    with django_assert_max_num_queries(6):  # savepoints, one INSERT, one UPDATE per group
        Attempt.change_scores_in_bulk(
            [(a, 1.0), (b, 1.0), (c, 0.0)],
            by=tara,
            reason="Regraded",
            source=GradeSource.REGRADE,
            fields=("correct", "interpreted_as"),
        )
    rows = {
        x.pk: (x.score, x.correct, x.score_source, x.interpreted_as) for x in Attempt.objects.all()
    }
    assert rows == {
        a.pk: (1.0, True, "regrade", ""),
        b.pk: (1.0, True, "regrade", ""),
        c.pk: (0.0, False, "regrade", "ln(0.3)"),
    }
    history = list(
        GradeChange.objects.order_by("attempt_id").values_list(
            "attempt_id", "old_score", "new_score", "changed_by__username", "reason"
        )
    )
    assert history == [
        (a.pk, 0.0, 1.0, "tara", "Regraded"),
        (b.pk, 0.0, 1.0, "tara", "Regraded"),
        (c.pk, 1.0, 0.0, "tara", "Regraded"),
    ]
