"""on_attempt_scored: idempotent XP, level-ups, lesson completion and achievements.

Attempts are written directly here (as a teacher's review or a regrade would leave them) so
these tests pin the progress rules without depending on the grader.
"""

import datetime

import pytest
from django.utils import timezone

from gradebook.progress.models import AchievementUnlock, LessonCompletion, XPAward
from gradebook.progress.services import (
    XP_PER_POINT,
    dashboard_for,
    on_attempt_scored,
    progress_for,
    total_xp,
    xp_for_attempt,
)
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeSource
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db


def answer(
    student, it, *, correct, number=None, status=AttemptStatus.GRADED, score=None, when=None
):
    number = number or Attempt.objects.filter(student=student, item=it).count() + 1
    attempt = Attempt.objects.create(
        student=student,
        item=it,
        revision=it.current_revision(),
        number=number,
        response="x",
        status=status,
        correct=correct,
        score=(1.0 if correct else 0.0) if score is None else score,
        submitted_at=when or timezone.now(),
    )
    return attempt, on_attempt_scored(attempt)


def kinds(awards):
    return [(a.kind, a.code) for a in awards]


def test_a_first_correct_answer_earns_full_xp_and_two_achievements(course, enrolled):
    _, awards = answer(enrolled, item(course, "ce-loss"), correct=True)
    assert ("xp", f"item-{item(course, 'ce-loss').pk}") in kinds(awards)
    assert [a.amount for a in awards if a.kind == "xp"] == [XP_PER_POINT]
    codes = {a.code for a in awards if a.kind == "achievement"}
    assert {"first-answer", "first-correct", "bullseye"} <= codes
    assert total_xp(enrolled) == XP_PER_POINT


def test_calling_it_twice_awards_nothing_more(course, enrolled):
    attempt, _ = answer(enrolled, item(course, "ce-loss"), correct=True)
    assert on_attempt_scored(attempt) == []
    assert XPAward.objects.get().xp == XP_PER_POINT
    assert AchievementUnlock.objects.filter(student=enrolled).count() == 3


def test_a_wrong_answer_earns_no_xp_but_the_first_step(course, enrolled):
    _, awards = answer(enrolled, item(course, "ce-loss"), correct=False)
    assert kinds(awards) == [("achievement", "first-answer")]
    assert total_xp(enrolled) == 0


def test_a_correct_second_try_earns_less_and_a_comeback(course, enrolled):
    it = item(course, "ce-loss")
    answer(enrolled, it, correct=False)
    _, awards = answer(enrolled, it, correct=True)
    assert [a.amount for a in awards if a.kind == "xp"] == [round(XP_PER_POINT * 0.75)]
    assert "comeback" in {a.code for a in awards}


def test_correct_again_later_never_lowers_the_items_xp(course, enrolled):
    it = item(course, "ce-loss")
    answer(enrolled, it, correct=True)
    _, awards = answer(enrolled, it, correct=True)
    assert [a for a in awards if a.kind == "xp"] == []
    assert total_xp(enrolled) == XP_PER_POINT


@pytest.mark.parametrize(("number", "expected"), [(1, 20), (2, 15), (3, 10), (4, 5), (9, 5)])
def test_xp_shrinks_with_retries(number, expected):
    assert (
        xp_for_attempt(points=1, number=number, status="graded", correct=True, score=1.0)
        == expected
    )


def test_a_pending_review_earns_nothing_until_a_teacher_returns_it(course, enrolled, tara):
    it = item(course, "explain")
    attempt, awards = answer(
        enrolled, it, correct=False, status=AttemptStatus.PENDING_REVIEW, score=None
    )
    assert not [a for a in awards if a.kind == "xp"]
    attempt.change_score(
        0.5, by=tara, reason="good start", source=GradeSource.REVIEW, status=AttemptStatus.REVIEWED
    )
    awards = on_attempt_scored(attempt)
    assert [a.amount for a in awards if a.kind == "xp"] == [10]
    assert "reviewed" in {a.code for a in awards}


def test_an_override_that_lowers_a_score_takes_xp_back(course, enrolled, tara):
    attempt, _ = answer(enrolled, item(course, "ce-loss"), correct=True)
    attempt.change_score(0.0, by=tara, reason="copied", source=GradeSource.OVERRIDE, correct=False)
    awards = on_attempt_scored(attempt)
    assert [a.amount for a in awards if a.kind == "xp"] == [-XP_PER_POINT]
    assert total_xp(enrolled) == 0


def test_answering_every_item_completes_the_lesson_once(course, enrolled, lesson):
    items = list(lesson.active_items())
    seen = []
    for it in items:
        reviewed = it.is_reviewed
        _, awards = answer(
            enrolled,
            it,
            correct=not reviewed,
            status=AttemptStatus.PENDING_REVIEW if reviewed else AttemptStatus.GRADED,
            score=None if reviewed else 1.0,
        )
        seen += kinds(awards)
    assert seen.count(("lesson", f"lesson-{lesson.pk}")) == 1
    completion = LessonCompletion.objects.get(student=enrolled, lesson=lesson)
    assert completion.perfect is True
    assert ("achievement", "clean-sweep") in seen
    progress = progress_for(enrolled, course)
    assert progress.lessons[lesson.pk].complete
    assert progress.lessons_completed == 1


def test_running_out_of_attempts_also_finishes_an_item(course, enrolled, lesson):
    it = item(course, "limited")
    answer(enrolled, it, correct=False)
    answer(enrolled, it, correct=False)
    assert progress_for(enrolled, course).lessons[lesson.pk].items_done == 1


def test_a_level_up_is_announced(course, enrolled):
    it = item(course, "ce-loss")
    it.points = 10  # 200 XP: straight to level 1
    it.save()
    _, awards = answer(enrolled, it, correct=True)
    assert ("level", "level-1") in kinds(awards)


def test_three_days_in_a_row_is_a_streak(course, enrolled):
    now = timezone.now()
    it = item(course, "ce-loss")
    answer(enrolled, it, correct=False, when=now - datetime.timedelta(days=2))
    answer(enrolled, it, correct=False, when=now - datetime.timedelta(days=1))
    _, awards = answer(enrolled, it, correct=False, when=now)
    assert "streak-3" in {a.code for a in awards}


def test_progress_counts_the_course_percentage(course, enrolled, lesson):
    answer(enrolled, item(course, "ce-loss"), correct=True)
    progress = progress_for(enrolled, course)
    assert progress.items_total == lesson.active_items().count()
    assert progress.percent == int(100 / progress.items_total)
    assert progress.xp == XP_PER_POINT and progress.level.xp == XP_PER_POINT
    assert progress.to_dict()["lessons_total"] == 2


def test_one_students_progress_never_shows_anothers(course, enrolled, bob):
    course.enroll(bob)
    answer(enrolled, item(course, "ce-loss"), correct=True)
    assert progress_for(bob, course).xp == 0
    assert dashboard_for(bob).achievements_unlocked == 0


def test_the_dashboard_lists_the_whole_catalogue(course, enrolled):
    answer(enrolled, item(course, "ce-loss"), correct=True)
    dash = dashboard_for(enrolled)
    assert len(dash.achievements) >= 14
    assert dash.achievements_unlocked == 3
    assert [c.slug for c, _ in dash.courses] == ["ai-gen"]


def test_the_dashboard_shows_a_live_streak(course, enrolled):
    now = timezone.now()
    it = item(course, "ce-loss")
    answer(enrolled, it, correct=False, when=now - datetime.timedelta(days=1))
    answer(enrolled, it, correct=False, when=now)
    assert dashboard_for(enrolled).streak_days == 2


def test_a_streak_ends_after_a_missed_day(course, enrolled):
    it = item(course, "ce-loss")
    answer(enrolled, it, correct=False, when=timezone.now() - datetime.timedelta(days=3))
    assert dashboard_for(enrolled).streak_days == 0


def test_a_wrong_retry_skips_the_achievement_queries(
    course, enrolled, django_assert_max_num_queries
):
    it = item(course, "ce-loss")
    answer(enrolled, it, correct=False)
    second = Attempt.objects.create(
        student=enrolled,
        item=it,
        revision=it.current_revision(),
        number=2,
        response="x",
        status=AttemptStatus.GRADED,
        correct=False,
        score=0.0,
    )
    with django_assert_max_num_queries(2):  # the progress row; nothing else can change
        assert on_attempt_scored(second) == []
