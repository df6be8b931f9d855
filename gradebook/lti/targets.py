"""What a placement can open, written as one short code: ``course:<course>``,
``lesson:<course>/<lesson>`` or ``item:<course>/<item key>``.

Deep linking puts the code in the link's custom parameters (``gradebook_target``); the
platform signs it into every launch of that link, so a launch says what it opens and nobody
can change it on the way. Codes use slugs and item keys, never database ids, so a bank
re-import keeps every placement working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gradebook.courses.models import Course, Item, Lesson
from gradebook.lti.models import PlatformAccess, Target

CUSTOM_PARAM = "gradebook_target"


class TargetError(ValueError):
    """A code that names nothing this platform may open; the message says which part."""


@dataclass(frozen=True)
class TargetRef:
    kind: str
    course: Course
    lesson: Lesson | None = None
    item: Item | None = None

    @property
    def code(self) -> str:
        if self.kind == Target.ITEM and self.item is not None:
            return f"item:{self.course.slug}/{self.item.key}"
        if self.kind == Target.LESSON and self.lesson is not None:
            return f"lesson:{self.course.slug}/{self.lesson.slug}"
        return f"course:{self.course.slug}"

    @property
    def title(self) -> str:
        if self.item is not None:
            return self.item.title or self.item.key
        if self.lesson is not None:
            return self.lesson.title
        return self.course.title

    @property
    def is_graded(self) -> bool:
        """A lesson or an item worth points gets a gradebook column in the LMS."""
        return self.kind in (Target.LESSON, Target.ITEM) and self.points() > 0

    def points(self) -> float:
        """The most points a student can get here: the line item's ``scoreMaximum``."""
        if self.item is not None:
            return float(self.item.points)
        if self.lesson is not None:
            return float(sum(i.points for i in self.lesson.active_items()))
        return 0.0


def allowed_courses(registration: Any) -> QuerySet[Course]:
    """The courses a platform's instructors may place (set by an administrator)."""
    access = PlatformAccess.objects.filter(registration=registration).first()
    if access is None:
        return Course.objects.none()
    if access.all_courses:
        return Course.objects.all()
    return access.courses.all()


def resolve(code: str, *, courses: QuerySet[Course]) -> TargetRef:
    """The course, lesson or item ``code`` names among ``courses``; ``TargetError`` if none."""
    kind, sep, rest = (code or "").strip().partition(":")
    if not sep or kind not in Target.values:
        raise TargetError(
            _("“%(code)s” is not a target: use course:, lesson: or item: and a slug.")
            % {"code": code}
        )
    course_slug, _slash, inner = rest.partition("/")
    course = courses.filter(slug=course_slug).first()
    if course is None:
        raise TargetError(
            _("The course “%(course)s” does not exist or is not open to this platform.")
            % {"course": course_slug}
        )
    if kind == Target.COURSE:
        return TargetRef(Target.COURSE, course)
    if kind == Target.LESSON:
        lesson = course.active_lessons().filter(slug=inner).first()
        if lesson is None:
            raise TargetError(
                _("The course “%(course)s” has no lesson “%(lesson)s”.")
                % {"course": course_slug, "lesson": inner}
            )
        return TargetRef(Target.LESSON, course, lesson=lesson)
    item = (
        Item.objects.select_related("lesson")
        .filter(course=course, key=inner, retired_at__isnull=True)
        .first()
    )
    if item is None:
        raise TargetError(
            _("The course “%(course)s” has no item “%(item)s”.")
            % {"course": course_slug, "item": inner}
        )
    return TargetRef(Target.ITEM, course, lesson=item.lesson, item=item)


def catalogue(courses: QuerySet[Course]) -> list[dict[str, Any]]:
    """Courses with their lessons and items, for the content picker (three queries)."""
    by_id = {c.pk: c for c in courses.order_by("title")}
    lessons: dict[int, list[dict[str, Any]]] = {pk: [] for pk in by_id}
    by_lesson: dict[int, list[dict[str, Any]]] = {}
    for lesson in Lesson.objects.filter(course__in=list(by_id), retired_at__isnull=True).order_by(
        "order", "id"
    ):
        course = by_id[lesson.course_id]
        items: list[dict[str, Any]] = []
        by_lesson[lesson.pk] = items
        lessons[course.pk].append(
            {"lesson": lesson, "code": f"lesson:{course.slug}/{lesson.slug}", "items": items}
        )
    for item in Item.objects.filter(
        course__in=list(by_id), retired_at__isnull=True, lesson_id__in=list(by_lesson)
    ).order_by("order", "id"):
        course = by_id[item.course_id]
        by_lesson[item.lesson_id].append({"item": item, "code": f"item:{course.slug}/{item.key}"})
    return [
        {"course": c, "code": f"course:{c.slug}", "lessons": lessons[c.pk]} for c in by_id.values()
    ]
