"""Images stored with a course's bank (``bank/media.py``), for its students and teachers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from gradebook.courses.bank.media import EXTENSIONS
from gradebook.courses.models import BankMedia, Course


def course_for_member(user: object, slug: str) -> Course:
    """The course if ``user`` studies or teaches it (or is staff), else 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such course.")
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course.")
    if (
        getattr(user, "is_staff", False)
        or course.enrollments.filter(student=user).exists()
        or course.teachers.filter(pk=getattr(user, "pk", None)).exists()
    ):
        return course
    raise Http404("No such course.")


@require_GET
def bank_media(request: HttpRequest, slug: str, sha256: str, extension: str) -> HttpResponse:
    course = course_for_member(request.user, slug)
    media = BankMedia.objects.filter(course=course, sha256=sha256).first()
    if media is None or EXTENSIONS.get(extension) != media.content_type:
        raise Http404("No such image.")
    response = HttpResponse(bytes(media.content), content_type=media.content_type)
    # Named by their content: the bytes behind a URL never change.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
