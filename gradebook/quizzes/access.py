"""Who may see what: one helper per kind of object, shared by the HTML views and the API.

Each helper either returns the object or raises ``Http404`` (DRF turns it into a 404 with
the shared error body). A 404 rather than a 403 on purpose: a student who is not enrolled
must not learn whether a course, item or attempt exists.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from gradebook import hotpath
from gradebook.accounts.roles import is_teacher
from gradebook.courses.models import Course, Item, Lesson
from gradebook.quizzes.models import Attempt


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


def item_for_student(user: Any, item_id: int | str) -> Item:
    """An answerable item: active, in an active lesson of a course the user is enrolled in.

    Retired items (and items of retired lessons) give a 404 too: they can no longer be
    answered, and their old attempts stay readable through ``attempt_for_user``. Every answer
    and every preview starts here; the query (one, with a per-process cache of the built
    objects) is ``gradebook.hotpath.answerable_item``.
    """
    if not user.is_authenticated:
        raise Http404("No such item.")
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise Http404("No such item.") from None
    if not -(2**63) <= pk < 2**63:
        raise Http404("No such item.")
    item = hotpath.answerable_item(user.pk, pk)
    if item is None:
        raise Http404("No such item.")
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
