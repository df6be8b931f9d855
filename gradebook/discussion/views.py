"""Discussion pages: post, reply, edit, delete, hide, report, notifications, the teachers' reports.

Thin: access and rules in ``services``; every POST redirects back to where the person was,
with the refusal as a message when there is one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gradebook.accounts.roles import is_teacher
from gradebook.courses.models import Course, Item, Lesson
from gradebook.discussion import services
from gradebook.discussion.models import ProblemReport, ReportState
from gradebook.discussion.services import DiscussionError


def _lesson_url(lesson: Lesson, anchor: str = "discussion") -> str:
    return reverse("lesson", args=[lesson.course.slug, lesson.slug]) + f"#{anchor}"


def _back(user: object, lesson: Lesson, anchor: str = "discussion") -> str:
    """Students go back to the lesson page; the course's teachers to its discussion page."""
    if services.is_member_student(user, lesson.course):
        return _lesson_url(lesson, anchor)
    return reverse("discussion:course", args=[lesson.course.slug]) + f"#{anchor}"


@login_required
@require_POST
def comment_post(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = services.lesson_for_member(request.user, lesson_id)
    try:
        comment = services.comment_post(
            lesson=lesson,
            author=request.user,
            body=request.POST.get("body", ""),
            parent=request.POST.get("parent") or None,
        )
    except DiscussionError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request.user, lesson))
    return redirect(_back(request.user, lesson, f"comment-{comment.pk}"))


@login_required
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    comment = services.comment_for_member(request.user, pk)
    if comment.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author edits a comment."))
    error = ""
    if request.method == "POST":
        try:
            services.comment_edit(comment=comment, by=request.user, body=request.POST.get("body"))
        except DiscussionError as exc:
            error = exc.message
        else:
            return redirect(_back(request.user, comment.lesson, f"comment-{comment.pk}"))
    return render(
        request,
        "discussion/edit.html",
        {
            "comment": comment,
            "error": error,
            "body": request.POST.get("body", comment.body),
            "back": _back(request.user, comment.lesson, f"comment-{comment.pk}"),
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = services.comment_for_member(request.user, pk)
    lesson = comment.lesson
    try:
        services.comment_delete(comment=comment, by=request.user)
    except DiscussionError as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, _("Your comment was deleted."))
    return redirect(_back(request.user, lesson))


@login_required
@require_POST
def comment_hide(request: HttpRequest, pk: int) -> HttpResponse:
    comment = services.comment_for_member(request.user, pk)
    try:
        services.comment_hide(
            comment=comment, by=request.user, hidden=request.POST.get("hidden") != "0"
        )
    except DiscussionError as exc:
        raise PermissionDenied(exc.message) from None
    return redirect(_back(request.user, comment.lesson, f"comment-{comment.pk}"))


@login_required
@require_POST
def report(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = services.lesson_for_member(request.user, lesson_id)
    item = None
    if request.POST.get("item"):
        item = Item.objects.filter(pk=request.POST["item"], lesson=lesson).first()
        if item is None:
            raise Http404("No such item.")
    try:
        services.report_problem(
            user=request.user, lesson=lesson, item=item, text=request.POST.get("text", "")
        )
    except DiscussionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: your report is with the course's teachers."))
    anchor = f"item-{item.pk}" if item is not None else "discussion"
    return redirect(_lesson_url(lesson, anchor))


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    rows = services.notifications_of(request.user)
    response = render(request, "discussion/notifications.html", {"notifications": rows})
    services.mark_read(request.user)
    return response


# --- Teachers -----------------------------------------------------------------------------------


@login_required
def course_discussion(request: HttpRequest, slug: str) -> HttpResponse:
    """Every lesson's discussion of a course, hidden comments included, for its teachers."""
    course = Course.objects.filter(slug=slug).first()
    if course is None or not services.is_moderator(request.user, course):
        if not is_teacher(request.user):
            raise PermissionDenied(_("Only the course's teachers see this page."))
        raise Http404("No such course.")
    lessons = [
        (lesson, services.threads(lesson, request.user)) for lesson in course.active_lessons()
    ]
    return render(
        request,
        "discussion/course.html",
        {"course": course, "lessons": lessons, "moderator": True},
    )


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    if not is_teacher(request.user):
        raise PermissionDenied(_("Only teachers see problem reports."))
    state = request.GET.get("state", "open")
    if state not in (*ReportState.values, "all"):
        state = "open"
    states = [
        ("open", _("Open")),
        ("fixed", _("Fixed")),
        ("dismissed", _("Dismissed")),
        ("all", _("All")),
    ]
    return render(
        request,
        "discussion/reports.html",
        {
            "reports": services.reports_for_teacher(request.user, state=state)[:200],
            "state": state,
            "states": states,
        },
    )


@login_required
@require_POST
def report_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_teacher(request.user):
        raise PermissionDenied(_("Only teachers answer problem reports."))
    found: ProblemReport | None = (
        services.reports_for_teacher(request.user, state="all").filter(pk=pk).first()
    )
    if found is None:
        raise Http404("No such report.")
    try:
        services.report_resolve(
            report=found,
            by=request.user,
            state=request.POST.get("state", ""),
            note=request.POST.get("note", ""),
        )
    except DiscussionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Answered; the reporter is told."))
    return redirect(reverse("discussion:reports") + f"#report-{found.pk}")
