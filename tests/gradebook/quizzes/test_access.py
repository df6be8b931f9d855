"""The access helpers: one rule per kind of object, 404 for anything a student may not see."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gradebook.courses.models import Course, Item, Lesson
from gradebook.quizzes import access
from gradebook.quizzes.models import Attempt
from tests.gradebook.quizzes.factories import item, make_course

pytestmark = pytest.mark.django_db


def _attempt(student, it):
    return Attempt.objects.create(
        student=student,
        item=it,
        revision=it.current_revision(),
        number=1,
        response="1",
        status="graded",
        score=0.0,
    )


def test_a_student_gets_a_course_they_are_enrolled_in(course, enrolled):
    assert access.course_for_student(enrolled, "ai-gen") == course


def test_a_student_gets_404_for_a_course_they_are_not_in(course, bob):
    with pytest.raises(Http404):
        access.course_for_student(bob, "ai-gen")


def test_an_anonymous_visitor_gets_404(course, client):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):
        access.course_for_student(AnonymousUser(), "ai-gen")


def test_a_student_lists_only_their_courses(course, enrolled, bob):
    other = make_course("other", "Other")
    other.enroll(bob)
    assert list(access.courses_for_student(enrolled)) == [course]


def test_an_item_of_another_course_is_404(course, enrolled):
    other = make_course("other", "Other")
    with pytest.raises(Http404):
        access.item_for_student(enrolled, item(other, "ce-loss").pk)


def test_a_retired_item_is_not_answerable(course, enrolled):
    it = item(course, "ce-loss")
    it.retire()
    with pytest.raises(Http404):
        access.item_for_student(enrolled, it.pk)


def test_an_item_of_a_retired_lesson_is_not_answerable(course, enrolled, lesson):
    lesson.retired_at = timezone.now()
    lesson.save()
    with pytest.raises(Http404):
        access.item_for_student(enrolled, item(course, "ce-loss").pk)


def test_a_malformed_item_id_is_404(course, enrolled):
    with pytest.raises(Http404):
        access.item_for_student(enrolled, "1 or 1=1")


def test_a_student_reads_their_own_attempt(course, enrolled):
    attempt = _attempt(enrolled, item(course, "ce-loss"))
    assert access.attempt_for_user(enrolled, attempt.pk) == attempt


def test_a_student_cannot_read_another_students_attempt(course, enrolled, bob):
    course.enroll(bob)
    attempt = _attempt(enrolled, item(course, "ce-loss"))
    with pytest.raises(Http404):
        access.attempt_for_user(bob, attempt.pk)
    assert list(access.attempts_for_user(bob)) == []


def test_the_courses_teacher_reads_a_students_attempt(course, enrolled, tara):
    course.teachers.add(tara)
    attempt = _attempt(enrolled, item(course, "ce-loss"))
    assert access.attempt_for_user(tara, attempt.pk) == attempt


def test_a_teacher_of_another_course_cannot(course, enrolled, tara):
    attempt = _attempt(enrolled, item(course, "ce-loss"))
    with pytest.raises(Http404):
        access.attempt_for_user(tara, attempt.pk)


def test_a_retired_items_old_attempt_stays_readable(course, enrolled):
    it = item(course, "ce-loss")
    attempt = _attempt(enrolled, it)
    it.retire()
    assert access.attempt_for_user(enrolled, attempt.pk) == attempt


# --- The objects an unchanged item was built into are reused (PostgreSQL) ------------------

_pg_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row versions (xmin, ctid): PostgreSQL"
)


def _values(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@_pg_only
def test_an_unchanged_item_costs_one_query_and_comes_back_as_a_fresh_copy(course, enrolled):
    it = item(course, "ce-loss")
    first = access.item_for_student(enrolled, it.pk)
    with CaptureQueriesContext(connection) as queries:
        again = access.item_for_student(enrolled, it.pk)
    assert len(queries) == 1
    assert again is not first and _values(again) == _values(first)
    assert again.course.slug == course.slug and again.lesson.title == first.lesson.title
    again.title = "changed by one request"
    assert access.item_for_student(enrolled, it.pk).title != "changed by one request"


@_pg_only
@pytest.mark.parametrize("table", ["item", "lesson", "course"])
def test_a_row_changed_behind_the_orms_back_is_read_again_at_once(course, enrolled, table):
    """A bulk UPDATE (no save(), no updated_at) in the same transaction still shows."""
    it = item(course, "ce-loss")
    access.item_for_student(enrolled, it.pk)
    if table == "item":
        Item.objects.filter(pk=it.pk).update(spec={**it.spec, "answer": 42}, title="T2")
    elif table == "lesson":
        Lesson.objects.filter(pk=it.lesson_id).update(title="Lesson, renamed")
    else:
        Course.objects.filter(pk=course.pk).update(slug="renamed-course")
    fresh = access.item_for_student(enrolled, it.pk)
    assert (fresh.spec["answer"], fresh.title) == (42, "T2") or table != "item"
    assert fresh.lesson.title == "Lesson, renamed" or table != "lesson"
    assert fresh.course.slug == "renamed-course" or table != "course"


@_pg_only
def test_reuse_never_skips_the_access_check(course, enrolled, bob):
    it = item(course, "ce-loss")
    access.item_for_student(enrolled, it.pk)
    with pytest.raises(Http404):
        access.item_for_student(bob, it.pk)  # not enrolled
    Item.objects.filter(pk=it.pk).update(retired_at=timezone.now())
    with pytest.raises(Http404):
        access.item_for_student(enrolled, it.pk)
