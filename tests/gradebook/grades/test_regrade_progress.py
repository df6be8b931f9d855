"""XP after a regrade, set-wise: the same awards, progress, lessons and achievements as one
``on_attempt_scored`` per student gave, for every kind of student the regrade touches."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from gradebook.grades.models import RegradeChange
from gradebook.grades.services import regrade_sync_progress
from gradebook.progress.models import (
    AchievementUnlock,
    LessonCompletion,
    StudentProgress,
    XPAward,
)
from gradebook.progress.services import on_attempt_scored
from gradebook.quizzes.models import Attempt

from .conftest import make_attempt, make_item
from .test_regrade import _preview, story  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

EASY = {"id": "easy", "type": "numeric", "text": "1 + 1?", "answer": "2", "points": 1}


def _state():
    return {
        "awards": sorted(XPAward.objects.values_list("student_id", "item_id", "xp", "attempt_id")),
        "progress": sorted(
            StudentProgress.objects.values_list("student_id", "xp", "last_active_on", "streak_days")
        ),
        "lessons": sorted(
            LessonCompletion.objects.values_list("student_id", "lesson_id", "course_id", "perfect")
        ),
        "unlocks": sorted(AchievementUnlock.objects.values_list("student_id", "code", "course_id")),
    }


@pytest.fixture
def applied(story, tara, alice, bob, course, lesson):  # noqa: F811
    """The story's regrade applied; Alice had the lesson's other item right (so the regrade
    completes her lesson) and an active yesterday; Bob had his XP and badges from the wrong
    key; Carol and Dan never had a progress row (their attempts were stored directly)."""
    from gradebook.grades.services import regrade_apply

    item, attempts = story
    easy = make_item(course, lesson, EASY, order=2)
    on_attempt_scored(make_attempt(alice, easy, "2", score=1.0, correct=True))
    StudentProgress.objects.filter(student=alice).update(
        last_active_on=datetime.date.today() - datetime.timedelta(days=1), streak_days=4
    )
    on_attempt_scored(attempts["bob"])
    run = _preview(item, tara)
    regrade_apply(run=run, by=tara)
    return run


def test_the_set_wise_catch_up_equals_one_on_attempt_scored_per_student(applied):
    latest = (
        RegradeChange.objects.filter(run=applied, applied=True)
        .values("attempt__student_id")
        .annotate(last=Max("attempt_id"))
        .values_list("last", flat=True)
    )
    savepoint = transaction.savepoint()
    for attempt in Attempt.objects.filter(pk__in=list(latest)).select_related("item", "student"):
        on_attempt_scored(attempt)
    expected = _state()
    transaction.savepoint_rollback(savepoint)
    before = _state()

    assert regrade_sync_progress(applied.pk) == 3  # Carol's override was kept
    assert _state() == expected
    assert expected != before  # the regrade did change XP, lessons and badges
    assert {s for s, *_ in expected["lessons"]} > {s for s, *_ in before["lessons"]}


def test_a_second_run_changes_nothing(applied):
    from gradebook.progress.services import on_item_rescored

    regrade_sync_progress(applied.pk)
    after = _state()
    days = {
        sid: timezone.localdate(last)
        for sid, last in Attempt.objects.filter(item=applied.item)
        .values("student_id")
        .annotate(last=Max("submitted_at"))
        .values_list("student_id", "last")
    }
    on_item_rescored(item=applied.item, students=days)
    assert _state() == after
