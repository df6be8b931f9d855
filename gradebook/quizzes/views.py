"""Student pages: course, lesson (with its items), the no-JS submit fallback, attempt history.

The lesson page's script submits through the API; the plain form posts here and comes back
to the lesson (post/redirect/get) with the verdict shown under the item, so the page works
without JavaScript too.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gradebook.courses.models import Item
from gradebook.grades.selectors import new_feedback_for
from gradebook.progress.achievements import CATALOGUE
from gradebook.progress.services import ItemState, item_states, progress_for
from gradebook.quizzes import access, services
from gradebook.quizzes.api import SubmitThrottle
from gradebook.quizzes.forms import response_from_post
from gradebook.quizzes.views_common import lesson_items_payload
from gradebook.throttling import throttle_page
from gradebook.ui.grader_messages import translate_message


def too_many_answers(request: HttpRequest, wait: float, *, back: str) -> HttpResponse:
    """429 for the no-JavaScript form: what happened, how long to wait, the way back."""
    seconds = max(1, math.ceil(wait))
    response = render(
        request,
        "quizzes/too_many_answers.html",
        {"seconds": seconds, "back": back},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


@login_required
def course_page(request: HttpRequest, slug: str) -> HttpResponse:
    course = access.course_for_student(request.user, slug)
    progress = progress_for(request.user, course)
    items = list(
        Item.objects.filter(course=course, retired_at__isnull=True)
        .only("id", "key", "title", "lesson_id", "type", "max_attempts", "order")
        .order_by("order", "id")
    )
    states = item_states(request.user, [i.pk for i in items])
    by_lesson: dict[int, list[tuple[Item, ItemState, bool]]] = {}
    for item in items:
        state = states.get(item.pk, ItemState())
        done = state.done(item.type, item.max_attempts)
        by_lesson.setdefault(item.lesson_id, []).append((item, state, done))
    lessons = [
        (lesson, progress.lessons.get(lesson.pk), by_lesson.get(lesson.pk, []))
        for lesson in course.active_lessons()
    ]
    notices = new_feedback_for(request.user, course=course)
    return render(
        request,
        "quizzes/course.html",
        {
            "course": course,
            "progress": progress,
            "lessons": lessons,
            "new_feedback": notices,
            "lessons_with_news": {n.attempt.item.lesson_id for n in notices},
        },
    )


def _js_strings() -> dict[str, str]:
    """The lesson script's UI strings, translated here and handed over with json_script."""
    return {
        "interpreted_as": _("Interpreted as"),
        "correct": _("Correct"),
        "partially_correct": _("Partly correct"),
        "incorrect": _("Not quite"),
        "undecided": _(
            "Could not decide: this answer was not counted as wrong. Try rewriting it more simply."
        ),
        "pending_review": _("Awaiting review"),
        "needs_review": _("Awaiting review"),
        "done": _("Done"),
        "best": _("best %(s)s") % {"s": "{s}"},
        "latest_try": _("Latest try:"),
        "not_graded": _("Not graded"),
        "score": _("Score"),
        "try": _("Try"),
        "hint": _("Hint"),
        "explanation": _("Explanation"),
        "network_error": _("Could not reach the server. Your answer was not recorded; try again."),
        "level_line": _("%(a)s/%(b)s XP to next level") % {"a": "{a}", "b": "{b}"}
        + " · "
        + _("%(n)s XP to go") % {"n": "{n}"},
    }


@login_required
def lesson_page(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    lesson = access.lesson_for_student(request.user, slug, lesson_slug)
    course = lesson.course
    progress = progress_for(request.user, course)
    lessons = list(course.active_lessons())
    index = next(i for i, other in enumerate(lessons) if other.pk == lesson.pk)
    notices = new_feedback_for(request.user, lesson=lesson)
    return render(
        request,
        "quizzes/lesson.html",
        {
            "course": course,
            "lesson": lesson,
            "lesson_number": index + 1,
            "lesson_count": len(lessons),
            "previous": lessons[index - 1] if index > 0 else None,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
            "items": _with_feedback(lesson_items_payload(request.user, lesson), notices),
            "progress": progress,
            "lesson_progress": progress.lessons.get(lesson.pk),
            "js_strings": _js_strings(),
            "achievement_codes": [a.code for a in CATALOGUE],
        },
    )


def _with_feedback(items: list[dict[str, Any]], notices: list[Any]) -> list[dict[str, Any]]:
    """Mark each item card whose teacher feedback the student has not opened yet."""
    unseen = {}
    for notice in notices:
        unseen.setdefault(notice.attempt.item_id, notice.attempt.pk)
    for data in items:
        data["new_feedback"] = unseen.get(data["id"])
    return items


@login_required
@require_POST
def submit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = access.item_for_student(request.user, item_id)
    url = reverse("lesson", args=[item.course.slug, item.lesson.slug])
    wait = throttle_page(request, SubmitThrottle)  # the API's limit, counted in the same window
    if wait is not None:
        return too_many_answers(request, wait, back=f"{url}#item-{item.pk}")
    try:
        services.submit_answer(
            student=request.user,
            item=item,
            response=response_from_post(item, request.POST),
            idempotency_key=request.POST.get("idempotency_key") or None,
        )
    except services.SubmitError as error:
        messages.error(request, translate_message(error.message), extra_tags=f"item-{item.pk}")
    return redirect(f"{url}#item-{item.pk}")


@login_required
def attempt_history(request: HttpRequest) -> HttpResponse:
    attempts = access.attempts_for_user(request.user).select_related("item", "item__course")
    page = Paginator(attempts, 50).get_page(request.GET.get("page"))
    return render(request, "quizzes/attempts.html", {"page": page})
