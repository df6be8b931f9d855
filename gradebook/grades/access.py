"""Who may do what on the teachers' side: one helper per kind of object, for HTML and API alike.

The rule, written once: a teacher sees only the courses they teach (superusers see all);
students and anonymous users never see the queue, the gradebook or anyone else's work.

- Someone who is not a teacher at all gets ``PermissionDenied`` (403): the whole area is
  closed to them, there is nothing to hide.
- A teacher asking for an object of a course they do not teach gets ``Http404``, so they
  cannot probe which courses, items or attempts exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from gradebook.accounts.roles import is_teacher
from gradebook.courses.models import Course, Item
from gradebook.grades.models import RegradeRun
from gradebook.quizzes.models import Attempt


def require_teacher(user: Any) -> None:
    """Raise ``PermissionDenied`` unless ``user`` is a teacher (or a superuser)."""
    if not user.is_authenticated or not is_teacher(user):
        raise PermissionDenied("Only teachers can open this page.")


def courses_for_teacher(user: Any) -> QuerySet[Course]:
    """The courses ``user`` teaches (every course for a superuser); 403 for non-teachers."""
    require_teacher(user)
    if user.is_superuser:
        return Course.objects.all().order_by("title")
    return Course.objects.filter(teachers=user).order_by("title")


def _pk(raw: Any, what: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404(f"No such {what}.") from None


def course_for_teacher(user: Any, slug: str) -> Course:
    """The course ``slug`` if ``user`` teaches it, else 404 (403 if not a teacher at all)."""
    course = courses_for_teacher(user).filter(slug=slug).first()
    if course is None:
        raise Http404("No such course.")
    return course


def item_for_teacher(user: Any, course_slug: str, item_key: str) -> Item:
    """An item (retired ones included: their grades still count) of a course ``user`` teaches."""
    course = course_for_teacher(user, course_slug)
    item = (
        Item.objects.select_related("course", "lesson").filter(course=course, key=item_key).first()
    )
    if item is None:
        raise Http404("No such item.")
    return item


def attempts_for_teacher(user: Any) -> QuerySet[Attempt]:
    """Every attempt in the courses ``user`` teaches."""
    courses = courses_for_teacher(user)
    return Attempt.objects.filter(item__course__in=courses)


def attempt_for_teacher(user: Any, attempt_id: Any) -> Attempt:
    """One attempt in a course ``user`` teaches, with what the review page needs, else 404."""
    attempt = (
        attempts_for_teacher(user)
        .select_related("student", "item", "item__course", "item__lesson", "revision")
        .filter(pk=_pk(attempt_id, "attempt"))
        .first()
    )
    if attempt is None:
        raise Http404("No such attempt.")
    return attempt


def regrade_run_for_teacher(user: Any, run_id: Any) -> RegradeRun:
    """A regrade run of an item in a course ``user`` teaches, else 404."""
    courses = courses_for_teacher(user)
    run = (
        RegradeRun.objects.select_related("item", "item__course", "revision", "requested_by")
        .filter(pk=_pk(run_id, "regrade"), item__course__in=courses)
        .first()
    )
    if run is None:
        raise Http404("No such regrade.")
    return run


def attempt_for_student(user: Any, attempt_id: Any) -> Attempt:
    """The student's own attempt (for the feedback page), else 404: never someone else's."""
    if not user.is_authenticated:
        raise Http404("No such attempt.")
    attempt = (
        Attempt.objects.select_related("item", "item__course", "item__lesson")
        .filter(pk=_pk(attempt_id, "attempt"), student=user)
        .first()
    )
    if attempt is None:
        raise Http404("No such attempt.")
    return attempt
