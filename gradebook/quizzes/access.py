"""Who may see what: one helper per kind of object, shared by the HTML views and the API.

Each helper either returns the object or raises ``Http404`` (DRF turns it into a 404 with
the shared error body). A 404 rather than a 403 on purpose: a student who is not enrolled
must not learn whether a course, item or attempt exists.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.http import Http404

from gradebook.accounts.roles import is_teacher
from gradebook.courses.models import Course, Enrollment, Item, Lesson
from gradebook.quizzes.models import Attempt
from gradebook.rawsql import Loader, hot_cursor


def courses_for_student(user: Any) -> QuerySet[Course]:
    """The courses a user sees in lists: the ones they are enrolled in (none when anonymous)."""
    if not user.is_authenticated:
        return Course.objects.none()
    return Course.objects.filter(enrollments__student=user).order_by("title")


def course_for_student(user: Any, slug: str) -> Course:
    """The course ``slug`` if ``user`` is enrolled in it, else 404."""
    if not user.is_authenticated:
        raise Http404("No such course.")
    course = Course.objects.filter(slug=slug, enrollments__student=user).first()
    if course is None:
        raise Http404("No such course.")
    return course


def lesson_for_student(user: Any, course_slug: str, lesson_slug: str) -> Lesson:
    """An active lesson of a course the user is enrolled in, else 404."""
    course = course_for_student(user, course_slug)
    lesson = course.lessons.filter(slug=lesson_slug, retired_at__isnull=True).first()
    if lesson is None:
        raise Http404("No such lesson.")
    return lesson


_ITEMS = Loader(Item, "i")
# An answer needs the course's slug and the lesson's title, not their content: the long text
# and JSON columns stay deferred (read on first access), which halves what this query returns.
_COURSES = Loader(Course, "c", defer=("description", "meta"))
_LESSONS = Loader(
    Lesson,
    "l",
    defer=(
        "summary",
        "body",
        "key_facts",
        "takeaways",
        "vocabulary",
        "common_mistakes",
        "sources",
    ),
)


@functools.cache
def _item_sql() -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    enrollment = quote(Enrollment._meta.db_table)
    # Identifiers come from model metadata; the two values are params.
    columns = f"{_ITEMS.columns}, {_COURSES.columns}, {_LESSONS.columns}"
    joins = (
        f"{_ITEMS.table} i JOIN {_COURSES.table} c ON c.id = i.course_id "
        f"JOIN {_LESSONS.table} l ON l.id = i.lesson_id"
    )
    enrolled = f"SELECT 1 FROM {enrollment} e WHERE e.course_id = i.course_id"  # noqa: S608
    enrolled += " AND e.student_id = %s"
    where = "i.id = %s AND i.retired_at IS NULL AND l.retired_at IS NULL"
    return f"SELECT {columns} FROM {joins} WHERE {where} AND EXISTS ({enrolled})"  # noqa: S608


def item_for_student(user: Any, item_id: int | str) -> Item:
    """An answerable item: active, in an active lesson of a course the user is enrolled in.

    Retired items (and items of retired lessons) give a 404 too: they can no longer be
    answered, and their old attempts stay readable through ``attempt_for_user``.

    Every answer and every preview starts here, so the query is written by hand
    (``gradebook.rawsql``): the ORM spent 8x the CPU building the same join. The item comes
    back with its course and lesson attached, as ``select_related`` would.
    """
    if not user.is_authenticated:
        raise Http404("No such item.")
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise Http404("No such item.") from None
    if not -(2**63) <= pk < 2**63:
        raise Http404("No such item.")
    connection = connections[DEFAULT_DB_ALIAS]
    with hot_cursor(connection) as cursor:
        cursor.execute(_item_sql(), [pk, user.pk])
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such item.")
    course_end = _ITEMS.width + _COURSES.width
    item = _ITEMS.load(row[: _ITEMS.width], connection)
    item.course = _COURSES.load(row[_ITEMS.width : course_end], connection)
    item.lesson = _LESSONS.load(row[course_end:], connection)
    return item


def attempts_for_user(user: Any) -> QuerySet[Attempt]:
    """The attempts a user may list: their own only (teachers read theirs via the grades app)."""
    if not user.is_authenticated:
        return Attempt.objects.none()
    return Attempt.objects.filter(student=user)


def attempt_for_user(user: Any, attempt_id: int | str) -> Attempt:
    """An attempt its own student may read, or a teacher of the attempt's course; else 404."""
    if not user.is_authenticated:
        raise Http404("No such attempt.")
    try:
        pk = int(attempt_id)
    except (TypeError, ValueError):
        raise Http404("No such attempt.") from None
    attempt = (
        Attempt.objects.select_related("item", "item__course", "item__lesson").filter(pk=pk).first()
    )
    if attempt is None:
        raise Http404("No such attempt.")
    if attempt.student_id == user.pk:
        return attempt
    if user.is_superuser or (is_teacher(user) and attempt.item.course.is_taught_by(user)):
        return attempt
    raise Http404("No such attempt.")
