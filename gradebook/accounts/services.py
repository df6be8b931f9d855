"""Account actions that span models: joining a course with the code a teacher shared."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from gradebook.courses.models import Course


class JoinError(Exception):
    """The code matched no course; ``message`` is for the student."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalise_join_code(raw: str) -> str:
    """Codes are read aloud and typed by hand: ignore case, spaces and dashes."""
    return re.sub(r"[\s\-]+", "", raw or "").upper()


def join_course(*, student: Any, code: str) -> tuple[Course, bool]:
    """Enrol ``student`` in the course whose join code is ``code``; returns (course, newly)."""
    clean = normalise_join_code(code)
    if not clean:
        raise JoinError(_("Type the join code your teacher gave you."))
    course = Course.objects.filter(join_code__iexact=clean).first()
    if course is None:
        raise JoinError(
            _("No course has the join code “%(code)s”. Check it with your teacher.")
            % {"code": clean}
        )
    already = course.enrollments.filter(student=student).exists()
    course.enroll(student)
    return course, not already
