"""Who may see what: one helper per kind of object, shared by the HTML views and the API.

Each helper either returns the object or raises ``Http404`` (DRF turns it into a 404 with
the shared error body). A 404 rather than a 403 on purpose: a student who is not enrolled
must not learn whether a course, item or attempt exists.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.http import Http404

from gradebook.accounts.roles import is_teacher
from gradebook.courses.models import Course, Enrollment, Item, Lesson
from gradebook.quizzes.models import Attempt
from gradebook.rawsql import Loader, fetch_one


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


#: Which version of the item, course and lesson rows PostgreSQL holds: any UPDATE, through
#: the ORM, a bulk update or by hand, writes a new row version, with the writing transaction's
#: id (``xmin``) and at a new place (``ctid``); the pair tells versions apart even when one
#: transaction updates a row twice.
_STAMP = "i.xmin::text || i.ctid::text, c.xmin::text || c.ctid::text, l.xmin::text || l.ctid::text"


@functools.cache
def _item_sql(select: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    enrollment = quote(Enrollment._meta.db_table)
    # Identifiers come from model metadata; the two values are params.
    joins = (
        f"{_ITEMS.table} i JOIN {_COURSES.table} c ON c.id = i.course_id "
        f"JOIN {_LESSONS.table} l ON l.id = i.lesson_id"
    )
    enrolled = f"SELECT 1 FROM {enrollment} e WHERE e.course_id = i.course_id"  # noqa: S608
    enrolled += " AND e.student_id = %s"
    where = "i.id = %s AND i.retired_at IS NULL AND l.retired_at IS NULL"
    return f"SELECT {select} FROM {joins} WHERE {where} AND EXISTS ({enrolled})"  # noqa: S608


def _columns(*, stamp: bool) -> str:
    columns = f"{_ITEMS.columns}, {_COURSES.columns}, {_LESSONS.columns}"
    return f"{columns}, {_STAMP}" if stamp else columns


#: item id -> (row versions, the item with its course and lesson), on PostgreSQL: see
#: ``item_for_student``. Per process; bounded, since banks can be large.
_LOADED: dict[int, tuple[tuple[str, ...], Item]] = {}
_LOADED_MAX = 5000


def item_for_student(user: Any, item_id: int | str) -> Item:
    """An answerable item: active, in an active lesson of a course the user is enrolled in.

    Retired items (and items of retired lessons) give a 404 too: they can no longer be
    answered, and their old attempts stay readable through ``attempt_for_user``.

    Every answer and every preview starts here. The access check is one query on every call.
    On PostgreSQL that query reads only which row versions (``xmin`` and ``ctid``) of the
    item, its course and its lesson it found, and the objects built the last time those
    versions were read are handed out again, as a copy: building them was 80% of this
    function's work. An edited row has a new version, so an edited key is graded at once.
    Elsewhere (SQLite), or when a version differs, the item, course and lesson come from one
    hand-written join, as ``select_related`` would build them.
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
    stamped = connection.vendor == "postgresql"
    if stamped:
        stamp = fetch_one(_item_sql(_STAMP), [pk, user.pk], connection)
        if stamp is None:
            raise Http404("No such item.")
        loaded = _LOADED.get(pk)
        if loaded is not None and loaded[0] == stamp:
            return copy.copy(loaded[1])
    row = fetch_one(_item_sql(_columns(stamp=stamped)), [pk, user.pk], connection)
    if row is None:
        raise Http404("No such item.")
    course_end = _ITEMS.width + _COURSES.width
    lesson_end = course_end + _LESSONS.width
    item = _ITEMS.load(row[: _ITEMS.width], connection)
    item.course = _COURSES.load(row[_ITEMS.width : course_end], connection)
    item.lesson = _LESSONS.load(row[course_end:lesson_end], connection)
    if stamped:
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[pk] = (tuple(row[lesson_end:]), item)
        return copy.copy(item)
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
