"""submit_answer: the one write path for answers, graded by the real graders library."""

import threading

import pytest
from django.db import connection, transaction

from gradebook.progress.models import XPAward
from gradebook.quizzes import services
from gradebook.quizzes.models import Attempt, AttemptStatus
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db


def submit(student, it, response, **kw):
    return services.submit_answer(student=student, item=it, response=response, **kw)


@pytest.mark.embedded
def test_a_correct_answer_is_stored_graded_with_its_reading(course, enrolled):
    it = item(course, "ce-loss")
    attempt = submit(enrolled, it, "-ln(0.3)")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.correct, attempt.score, attempt.number) == (
        AttemptStatus.GRADED,
        True,
        1.0,
        1,
    )
    assert attempt.revision == it.current_revision()
    assert attempt.result["outcome"] == "correct"
    assert attempt.interpreted_as
    assert attempt.grader_version
    assert XPAward.objects.get(student=enrolled, item=it).xp > 0


def test_the_awards_come_back_on_the_attempt(course, enrolled):
    attempt = submit(enrolled, item(course, "ce-loss"), "-ln(0.3)")
    assert {a.kind for a in attempt.awards} >= {"xp", "achievement"}


def test_a_known_mistake_gets_its_feedback_and_tag(course, enrolled):
    attempt = submit(enrolled, item(course, "ce-loss"), "-log10(0.3)")
    assert attempt.correct is False
    assert attempt.misconception == "log-base"
    assert "natural log" in attempt.feedback


@pytest.mark.embedded
@pytest.mark.parametrize("bad", ["", "   ", "1,204", "((", "9**9**9**9**9", "__import__('os')"])
def test_an_unreadable_answer_is_refused_and_not_counted(course, enrolled, bad):
    it = item(course, "ce-loss")
    with pytest.raises(services.InvalidAnswer) as info:
        submit(enrolled, it, bad)
    assert info.value.message
    assert info.value.field == "response"
    assert Attempt.objects.filter(student=enrolled).count() == 0


def test_an_oversized_answer_gets_the_graders_message(course, enrolled):
    with pytest.raises(services.InvalidAnswer) as info:
        submit(enrolled, item(course, "ce-loss"), "1" * 50_000)
    assert info.value.message
    assert not Attempt.objects.exists()


def test_a_response_of_the_wrong_shape_is_refused(course, enrolled):
    with pytest.raises(services.InvalidAnswer):
        submit(enrolled, item(course, "ce-loss"), {"nested": ["dict"]})


def test_tries_are_numbered_per_student_and_item(course, enrolled, bob):
    course.enroll(bob)
    it = item(course, "ce-loss")
    assert [submit(enrolled, it, a).number for a in ("1", "2", "-ln(0.3)")] == [1, 2, 3]
    assert submit(bob, it, "1").number == 1


def test_the_attempt_limit_refuses_a_third_try(course, enrolled):
    it = item(course, "limited")
    submit(enrolled, it, "5")
    submit(enrolled, it, "6")
    with pytest.raises(services.AttemptLimitReached):
        submit(enrolled, it, "4")
    assert Attempt.objects.filter(item=it).count() == 2


def test_the_retry_penalty_lowers_a_later_correct_answer(course, enrolled):
    it = item(course, "limited")  # retry_penalty 0.5
    submit(enrolled, it, "5")
    attempt = submit(enrolled, it, "4")
    assert attempt.correct and attempt.auto_score == 1.0 and attempt.score == 0.5


def test_the_same_idempotency_key_records_one_attempt(course, enrolled):
    it = item(course, "ce-loss")
    first = submit(enrolled, it, "2", idempotency_key="k-1")
    again = submit(enrolled, it, "-ln(0.3)", idempotency_key="k-1")
    assert again.pk == first.pk and again.replayed and not again.correct
    assert Attempt.objects.count() == 1


def test_a_key_reused_for_another_item_is_refused(course, enrolled):
    submit(enrolled, item(course, "ce-loss"), "2", idempotency_key="k-1")
    with pytest.raises(services.IdempotencyKeyReused):
        submit(enrolled, item(course, "limited"), "4", idempotency_key="k-1")


def test_an_overlong_idempotency_key_is_refused(course, enrolled):
    with pytest.raises(services.SubmitError) as info:
        submit(enrolled, item(course, "ce-loss"), "2", idempotency_key="k" * 101)
    assert info.value.field == "idempotency_key"


def test_free_text_waits_for_review(course, enrolled):
    attempt = submit(enrolled, item(course, "explain"), "Diffusion denoises; LLMs predict tokens.")
    assert attempt.status == AttemptStatus.PENDING_REVIEW
    assert attempt.score is None and attempt.correct is False


def test_a_parameterised_item_is_graded_against_the_students_variant(course, enrolled):
    it = item(course, "images-time")
    params = services.variant_params(enrolled, it)
    assert 2 <= params["n"] <= 12
    assert services.variant_params(enrolled, it) == params  # stable per student
    attempt = submit(enrolled, it, f"{params['n'] * 4} s")
    assert attempt.correct and attempt.params == params


def test_a_unit_answer_in_another_unit_is_converted(course, enrolled):
    it = item(course, "images-time")
    n = services.variant_params(enrolled, it)["n"]
    assert submit(enrolled, it, f"{n * 4000} ms").correct


def test_multiple_choice_and_multipart(course, enrolled):
    assert submit(enrolled, item(course, "which-model"), "llm").correct
    wrong = submit(enrolled, item(course, "which-model"), "diffusion")
    assert not wrong.correct and "canvas" in (wrong.feedback + str(wrong.result))
    parts = submit(enrolled, item(course, "steps"), {"per_image": "4", "twelve": "48"})
    assert parts.correct


def _xp_is_consistent(student):
    from django.db.models import Sum

    from gradebook.progress.models import StudentProgress

    total = XPAward.objects.filter(student=student).aggregate(t=Sum("xp"))["t"] or 0
    assert StudentProgress.objects.get(student=student).xp == total
    return total


@pytest.mark.embedded
def test_xp_read_with_the_answer_follows_every_path(course, enrolled, tara):
    """submit_answer reads the item's XP with its other facts; every award path stays exact."""
    from gradebook.progress.services import on_attempt_scored
    from gradebook.quizzes.models import GradeSource

    it = item(course, "ce-loss")
    award = lambda: XPAward.objects.get(student=enrolled, item=it).xp  # noqa: E731
    submit(enrolled, it, "1")  # wrong: no award row yet
    assert not XPAward.objects.filter(student=enrolled, item=it).exists()
    assert _xp_is_consistent(enrolled) == 0
    second = submit(enrolled, it, "-ln(0.3)")  # creates the row: 15 XP at the second try
    assert award() == 15 and _xp_is_consistent(enrolled) == 15
    second.change_score(0.0, by=tara, reason="copied", source=GradeSource.OVERRIDE, correct=False)
    on_attempt_scored(second)  # the teacher's path recomputes: nothing earns XP now
    assert award() == 0 and _xp_is_consistent(enrolled) == 0
    third = submit(enrolled, it, "-ln(0.3)")  # the row exists at 0: raised to 10 in place
    assert [a.amount for a in third.awards if a.kind == "xp"] == [10]
    assert award() == 10 and _xp_is_consistent(enrolled) == 10
    assert XPAward.objects.get(student=enrolled, item=it).attempt_id == third.pk
    later = submit(enrolled, it, "-ln(0.3)")  # try 4 is worth 5: nothing changes
    assert award() == 10 and not [a for a in later.awards if a.kind == "xp"]
    other = item(course, "ce-exact")
    first = submit(enrolled, other, "-ln(0.3)")
    assert [a.amount for a in first.awards if a.kind == "xp"] == [20]
    assert _xp_is_consistent(enrolled) == 30


def test_it_can_run_inside_the_callers_transaction(course, enrolled):
    it = item(course, "ce-loss")
    with transaction.atomic():
        first = submit(enrolled, it, "2", idempotency_key="outer")
        again = submit(enrolled, it, "2", idempotency_key="outer")
        assert first.pk == again.pk
    assert Attempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_concurrent_submits_never_share_an_attempt_number(course, enrolled):
    it = item(course, "ce-loss")
    barrier = threading.Barrier(6)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            submit(enrolled, it, str(i))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Attempt.objects.filter(item=it).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]


# --- Answers that cannot change progress are stored without the progress lock -------------


def _statements(fn):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return result, [q["sql"] for q in queries]


@pytest.mark.embedded
def test_a_wrong_retry_on_an_active_day_is_stored_without_the_lock(course, enrolled):
    it = item(course, "ce-loss")
    submit(enrolled, it, "1")
    attempt, sql = _statements(lambda: submit(enrolled, it, "2"))
    assert attempt.number == 2 and not attempt.correct and attempt.awards == []
    assert not any("FOR UPDATE" in s for s in sql)
    assert attempt.item_state.attempts == 2 and not attempt.item_state.correct
    stored = Attempt.objects.get(pk=attempt.pk)
    assert (stored.number, stored.response, stored.submitted_at) == (
        2,
        "2",
        attempt.submitted_at,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.parametrize(
    "case", ["first try", "last try allowed", "first answer of the day", "right answer"]
)
def test_answers_that_may_change_progress_take_the_lock(course, enrolled, case):
    import datetime

    from gradebook.progress.models import StudentProgress

    it = item(course, "ce-loss")
    if case == "last try allowed":
        type(it).objects.filter(pk=it.pk).update(max_attempts=2)
        it.refresh_from_db()
    if case != "first try":
        submit(enrolled, it, "1")
    if case == "first answer of the day":
        yesterday = datetime.date.today() - datetime.timedelta(days=1)
        StudentProgress.objects.filter(student=enrolled).update(
            last_active_on=yesterday, streak_days=3
        )
    response = "-ln(0.3)" if case == "right answer" else "2"
    _, sql = _statements(lambda: submit(enrolled, it, response))
    assert any("FOR UPDATE" in s for s in sql), sql
    if case == "first answer of the day":
        assert StudentProgress.objects.get(student=enrolled).streak_days == 4


def test_a_replayed_key_comes_back_unchanged_on_the_unlocked_path(course, enrolled):
    it = item(course, "ce-loss")
    submit(enrolled, it, "1")
    first = submit(enrolled, it, "2", idempotency_key="k")
    again = submit(enrolled, it, "3", idempotency_key="k")
    assert again.pk == first.pk and again.replayed and again.response == "2"
    assert Attempt.objects.filter(student=enrolled, item=it).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_concurrent_wrong_retries_without_the_lock_still_get_one_number_each(course, enrolled):
    it = item(course, "ce-loss")
    submit(enrolled, it, "0")  # progress exists and the student is active today
    barrier = threading.Barrier(8)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            for j in range(3):
                submit(enrolled, it, str(10 * i + j + 1), idempotency_key=f"w{i}-{j}")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Attempt.objects.filter(item=it).values_list("number", flat=True))
    assert numbers == list(range(1, 26))
    assert Attempt.objects.filter(item=it, idempotency_key__startswith="w").count() == 24
