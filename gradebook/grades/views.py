"""Teachers' pages (under /teach/) and the student's feedback pages (under /grades/).

Each view checks access with one helper from ``access``, calls one service or selector, and
renders. Refused writes (``GradingError``) re-render the page with the message beside the field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from gradebook.grades import access, appeals, attachments, charts, selectors, services
from gradebook.grades.models import FeedbackSeen, RegradeRun, rubric_steps
from gradebook.grades.rubric import review_plan
from gradebook.grades.services import GradingError
from gradebook.quizzes.models import Attempt, GradeSource
from gradebook.ui.status import grade_source_label, item_type_label


def _queue_url(filters: selectors.QueueFilters, **extra: Any) -> str:
    query = {**filters.as_query(), **extra}
    return reverse("grades:queue") + ("?" + urlencode(query) if query else "")


def _attempt_url(attempt: Attempt | int, filters: selectors.QueueFilters) -> str:
    pk = attempt if isinstance(attempt, int) else attempt.pk
    query = filters.as_query()
    return reverse("grades:attempt", args=[pk]) + ("?" + urlencode(query) if query else "")


# --- Home and queue -----------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    courses = list(access.courses_for_teacher(request.user))
    attempts = access.attempts_for_teacher(request.user)
    rows = [
        (c, selectors.queue_counts(attempts, selectors.QueueFilters(course=c.slug)))
        for c in courses
    ]
    return render(request, "grades/home.html", {"rows": rows})


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    attempts = access.attempts_for_teacher(request.user)
    filters = selectors.QueueFilters.from_params(request.GET)
    page = Paginator(selectors.review_queue(attempts, filters), 50).get_page(
        request.GET.get("page")
    )
    courses = access.courses_for_teacher(request.user)
    counts = selectors.queue_counts(attempts, filters)
    return render(
        request,
        "grades/queue.html",
        {
            "filters": filters,
            "counts": counts,
            "open_appeals": appeals.appeals_for_teacher(attempts).count(),
            "page": page,
            "rows": [(a, selectors.queue_state(a), _attempt_url(a, filters)) for a in page],
            "choices": selectors.queue_choices(courses, filters),
            "student_dropdown_max": selectors.STUDENT_DROPDOWN_MAX,
            "state_links": [
                (s, _queue_url(filters, state=s), counts.get(s))
                for s in (*selectors.QUEUE_STATES, "all")
            ],
        },
    )


@login_required
def queue_next(request: HttpRequest) -> HttpResponse:
    """Open the oldest attempt of the filtered queue (the "start reviewing" button)."""
    attempts = access.attempts_for_teacher(request.user)
    filters = selectors.QueueFilters.from_params(request.GET)
    first = selectors.review_queue(attempts, filters).first()
    if first is None:
        messages.info(request, _("Nothing left to review here."))
        return redirect(_queue_url(filters))
    return redirect(_attempt_url(first, filters))


@login_required
def answer_groups(request: HttpRequest) -> HttpResponse:
    """Identical answers to one item, scored once per group (the queue's item filter)."""
    attempts = access.attempts_for_teacher(request.user)
    filters = selectors.QueueFilters.from_params(
        request.GET if request.method == "GET" else request.POST
    )
    if not filters.item:
        messages.info(request, _("Choose an item to group its answers."))
        return redirect(_queue_url(filters))
    errors: dict[str, str] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        key = request.POST.get("group", "")
        group = selectors.group_by_key(attempts, filters, key)
        rubric_scores = _posted_rubric(request.POST)
        posted = {
            "group": key,
            "rubric_scores": rubric_scores,
            "comment": request.POST.get("comment", ""),
        }
        try:
            services.review_group(
                attempts=group.attempts,
                by=request.user,
                rubric_scores=rubric_scores,
                points=request.POST.get("points", ""),
                comment=posted["comment"],
            )
        except GradingError as exc:
            errors = {"group": key, "message": exc.message}
        else:
            messages.success(
                request,
                ngettext(
                    "Returned the same review to %(n)d student.",
                    "Returned the same review to %(n)d students.",
                    len(group.attempts),
                )
                % {"n": len(group.attempts)},
            )
            return redirect(reverse("grades:answer_groups") + "?" + urlencode(filters.as_query()))
    groups = selectors.answer_groups(attempts, filters)
    item = (
        access.item_for_teacher(request.user, groups[0].attempts[0].item.course.slug, filters.item)
        if groups
        else None
    )
    return render(
        request,
        "grades/answer_groups.html",
        {
            "filters": filters,
            "groups": [
                (group, _group_rubric(group, posted if posted.get("group") == group.key else {}))
                for group in groups
            ],
            "item": item,
            "errors": errors,
            "posted": posted,
            "queue_url": _queue_url(filters),
        },
        status=400 if errors else 200,
    )


def _posted_rubric(data: Any) -> dict[str, str]:
    """The rubric scores a review form posted: ``rubric_<criterion>`` fields, blanks left out."""
    return {
        key.removeprefix("rubric_"): value
        for key, value in data.items()
        if key.startswith("rubric_") and value != ""
    }


def _group_rubric(group: selectors.AnswerGroup, posted: dict[str, Any]) -> list[dict[str, Any]]:
    first = group.attempts[0]
    return _rubric_rows(
        review_plan(first.item.spec, first.result), posted.get("rubric_scores") or {}
    )


def _rubric_rows(
    plan: Any, chosen: dict[str, Any], errors: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The rubric as the review form shows it: criteria by part, each with its clickable steps."""
    errors = errors or {}
    return [
        {
            **c,
            "group": comp.label if comp.part else "",
            "first_of_group": index == 0,
            "steps": [
                {"value": f"{v:g}", "checked": _is(chosen.get(c["id"]), v)}
                for v in rubric_steps(c["points"])
            ],
            "error": errors.get(f"rubric_scores.{c['id']}", ""),
        }
        for comp in plan.components
        for index, c in enumerate(comp.criteria)
    ]


# --- One attempt: review, override, history -----------------------------------------------------


@login_required
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = access.attempt_for_teacher(request.user, pk)
    filters = selectors.QueueFilters.from_params(request.GET)
    errors: dict[str, str] = {}
    posted: dict[str, Any] = {}
    if request.method == "POST":
        action = "return" if request.POST.get("action") == "return" else "draft"
        rubric_scores = _posted_rubric(request.POST)
        posted = {
            "rubric_scores": rubric_scores,
            "points": request.POST.get("points", ""),
            "comment": request.POST.get("comment", ""),
        }
        try:
            services.review_save(
                attempt=attempt,
                by=request.user,
                rubric_scores=rubric_scores,
                points=posted["points"],
                comment=posted["comment"],
                action=action,
            )
        except GradingError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            if action == "return":
                messages.success(
                    request, _("Returned to %(name)s.") % {"name": attempt.student.get_username()}
                )
                __, nxt = selectors.queue_neighbours(
                    access.attempts_for_teacher(request.user), filters, attempt
                )
                if nxt is not None and request.POST.get("then") != "stay":
                    return redirect(_attempt_url(nxt, filters))
                return redirect(_attempt_url(attempt, filters))
            messages.success(request, _("Draft saved; the student does not see it yet."))
            return redirect(_attempt_url(attempt, filters))
    return render(
        request,
        "grades/attempt.html",
        _attempt_context(request, attempt, filters, errors=errors, posted=posted),
        status=400 if errors else 200,
    )


def _appeals_of(attempt: Attempt) -> list[Any]:
    return list(
        attempt.appeals.select_related("student", "answered_by", "attempt__item").order_by(
            "created_at", "id"
        )
    )


def _attempt_context(
    request: HttpRequest,
    attempt: Attempt,
    filters: selectors.QueueFilters,
    *,
    errors: dict[str, str],
    posted: dict[str, Any],
) -> dict[str, Any]:
    review = selectors.review_of(attempt)
    plan = review_plan(attempt.item.spec, attempt.result)
    criteria = plan.criteria
    chosen = posted.get("rubric_scores") or (review.rubric_scores if review else {})
    rubric = _rubric_rows(plan, chosen, errors)
    prev, nxt = selectors.queue_neighbours(
        access.attempts_for_teacher(request.user), filters, attempt
    )
    attached = attachments.attachment_of(attempt)
    return {
        "attempt": attempt,
        "item": attempt.item,
        "spec": attempt.item.spec,
        "review": review,
        "state": selectors.queue_state(attempt),
        "rubric": rubric,
        "rubric_total": sum(c["points"] for c in criteria),
        "auto_parts": plan.auto_parts,
        "weighted": len(plan.components) > 1,
        "needs_teacher": services.needs_teacher(attempt),
        "points_value": posted.get(
            "points", review.points if review and review.points is not None else ""
        ),
        "comment_value": posted.get("comment", review.comment if review else ""),
        "errors": errors,
        "history": [
            {
                **h,
                "when": parse_datetime(h["changed_at"]),
                "source_label": grade_source_label(h["source"]),
            }
            for h in selectors.grade_history(attempt)
        ],
        "type_label": item_type_label(attempt.item.type),
        "source_label": grade_source_label(attempt.score_source),
        "prev_url": _attempt_url(prev, filters) if prev else "",
        "next_url": _attempt_url(nxt, filters) if nxt else "",
        "queue_url": _queue_url(filters),
        "filters": filters,
        "attached": attached,
        "points_now": None
        if attempt.score is None
        else round(attempt.score * float(attempt.item.points), 2),
        "other_attempts": Attempt.objects.filter(student=attempt.student, item=attempt.item)
        .exclude(pk=attempt.pk)
        .order_by("number"),
        "appeals": _appeals_of(attempt),
    }


def _is(value: Any, step: float) -> bool:
    try:
        return value is not None and abs(float(value) - step) < 1e-9
    except (TypeError, ValueError):
        return False


@login_required
@require_POST
def attempt_override(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = access.attempt_for_teacher(request.user, pk)
    filters = selectors.QueueFilters.from_params(request.GET)
    try:
        services.grade_override(
            attempt=attempt,
            by=request.user,
            points=request.POST.get("points", ""),
            reason=request.POST.get("reason", ""),
        )
    except GradingError as exc:
        context = _attempt_context(
            request,
            attempt,
            filters,
            errors={f"override_{exc.field or 'form'}": exc.message},
            posted={},
        )
        context["override_points"] = request.POST.get("points", "")
        context["override_reason"] = request.POST.get("reason", "")
        return render(request, "grades/attempt.html", context, status=400)
    messages.success(
        request, _("Grade overridden; the student sees the new grade and your reason.")
    )
    return redirect(_attempt_url(attempt, filters))


# --- Gradebook ----------------------------------------------------------------------------------


@login_required
def gradebook(request: HttpRequest, slug: str) -> HttpResponse:
    course = access.course_for_teacher(request.user, slug)
    book = selectors.gradebook_for(course)
    return render(
        request,
        "grades/gradebook.html",
        {"course": course, "book": book, **selectors.gradebook_table(book)},
    )


@login_required
def gradebook_csv(request: HttpRequest, slug: str) -> HttpResponse:
    course = access.course_for_teacher(request.user, slug)
    body = selectors.gradebook_csv(selectors.gradebook_for(course))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gradebook-{course.slug}.csv"'
    return response


@login_required
def course_history(request: HttpRequest, slug: str) -> HttpResponse:
    """Every grade change in the course: what a regrade or a colleague changed, and why."""
    course = access.course_for_teacher(request.user, slug)
    source = (request.GET.get("source") or "").strip()
    student = (request.GET.get("student") or "").strip()
    qs = selectors.course_history(course, source=source, student=student)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "grades/history.html",
        {
            "course": course,
            "page": page,
            "rows": [
                {
                    **selectors.history_row(c),
                    "when": c.changed_at,
                    "source_label": grade_source_label(c.source),
                }
                for c in page
            ],
            "source": source,
            "student": student,
            "sources": [(value, grade_source_label(value)) for value in GradeSource.values],
        },
    )


# --- Analytics, declared mistakes, answers ------------------------------------------------------


@login_required
def course_analytics(request: HttpRequest, slug: str) -> HttpResponse:
    course = access.course_for_teacher(request.user, slug)
    return render(
        request,
        "grades/course_analytics.html",
        {
            "course": course,
            "items": selectors.course_item_stats(course),
            "misconceptions": selectors.course_misconceptions(course),
            "charts": charts.course_charts(course),
            "lessons": course.active_lessons(),
        },
    )


@login_required
def item_analytics(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    item = access.item_for_teacher(request.user, slug, key)
    return _render_item(request, item)


def _render_item(
    request: HttpRequest,
    item: Any,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "grades/item_analytics.html",
        {
            "course": item.course,
            "item": item,
            "type_label": item_type_label(item.type),
            "key_lines": selectors.key_lines(item),
            "has_free_text_parts": any(
                isinstance(p, dict) and p.get("type") == "free_text"
                for p in item.spec.get("parts", []) or []
            ),
            "stats": selectors.item_analytics(item),
            "charts": charts.item_charts(item),
            "runs": RegradeRun.objects.filter(item=item).select_related("requested_by")[:5],
            "revisions": item.revisions.select_related("created_by").order_by("-number")[:10],
            "errors": errors or {},
            "posted": posted or {},
        },
        status=status,
    )


@login_required
@require_POST
def add_mistake(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    item = access.item_for_teacher(request.user, slug, key)
    posted = {k: request.POST.get(k, "") for k in ("answer", "feedback", "tag")}
    try:
        services.item_add_mistake(item=item, by=request.user, **posted)
    except GradingError as exc:
        return _render_item(
            request, item, errors={exc.field or "form": exc.message}, posted=posted, status=400
        )
    messages.success(
        request,
        _("Declared “%(answer)s” as a known mistake with your message.")
        % {"answer": posted["answer"]},
    )
    return redirect("grades:item", slug=slug, key=key)


@login_required
def item_answers(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """Every answer to an item (optionally one student's): where overrides start."""
    item = access.item_for_teacher(request.user, slug, key)
    qs = (
        Attempt.objects.filter(item=item)
        .select_related("student", "item", "review")
        .order_by("-submitted_at", "-id")
    )
    student = (request.GET.get("student") or "").strip()
    if student:
        qs = qs.filter(student__username=student)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    points = float(item.points)
    rows = [(a, None if a.score is None else round(a.score * points, 2)) for a in page]
    return render(
        request,
        "grades/item_answers.html",
        {
            "course": item.course,
            "item": item,
            "page": page,
            "rows": rows,
            "student": student,
            "students": selectors.answering_students(item),
        },
    )


# --- Regrades -----------------------------------------------------------------------------------


@login_required
@require_POST
def regrade_start(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    item = access.item_for_teacher(request.user, slug, key)
    try:
        run = services.regrade_start(item=item, by=request.user)
    except GradingError as exc:
        return _render_item(request, item, errors={"regrade": exc.message}, status=400)
    return redirect("grades:regrade", pk=run.pk)


@login_required
def regrade_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.regrade_run_for_teacher(request.user, pk)
    changes = Paginator(
        run.changes.select_related("attempt", "attempt__student", "outcome").order_by("id"), 100
    ).get_page(request.GET.get("page"))
    points = float(run.item.points)
    return render(
        request,
        "grades/regrade.html",
        {
            "run": run,
            "item": run.item,
            "course": run.item.course,
            "changes": changes,
            "rows": [
                (
                    c,
                    None if c.old_score is None else round(c.old_score * points, 2),
                    None if c.new_score is None else round(c.new_score * points, 2),
                )
                for c in changes
            ],
            "stale_key": run.item.revision != run.revision.number,
            "kept_unread": run.summary.get("undecided", 0) + run.summary.get("unreadable", 0),
        },
    )


@login_required
@require_POST
def regrade_apply(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.regrade_run_for_teacher(request.user, pk)
    try:
        run = services.regrade_apply(run=run, by=request.user)
    except GradingError as exc:
        messages.error(request, exc.message)
    else:
        s = run.summary
        applied = ngettext(
            "Applied %(n)d grade change", "Applied %(n)d grade changes", s.get("applied", 0)
        ) % {"n": s.get("applied", 0)}
        if s.get("skipped_stale"):
            applied += _("; skipped %(n)d changed since the preview") % {"n": s["skipped_stale"]}
        messages.success(request, applied + ".")
    return redirect("grades:regrade", pk=pk)


@login_required
@require_POST
def regrade_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.regrade_run_for_teacher(request.user, pk)
    try:
        services.regrade_discard(run=run)
    except GradingError as exc:
        messages.error(request, exc.message)
    return redirect("grades:item", slug=run.item.course.slug, key=run.item.key)


# --- The student's side -------------------------------------------------------------------------


@login_required
def my_grades(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "grades/my_grades.html",
        {
            "courses": selectors.grades_of_student(request.user),
            "new_feedback": selectors.new_feedback_for(request.user),
        },
    )


@login_required
def my_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = access.attempt_for_student(request.user, pk)
    FeedbackSeen.mark(student=request.user, attempt=attempt)
    return render(
        request,
        "grades/feedback.html",
        {
            "attempt": attempt,
            "item": attempt.item,
            "fb": selectors.feedback_for(attempt),
            "attached": attachments.attachment_of(attempt),
            "other_attempts": Attempt.objects.filter(student=request.user, item=attempt.item)
            .exclude(pk=attempt.pk)
            .order_by("number"),
            "appeals": _appeals_of(attempt),
            "can_appeal": appeals.can_appeal(attempt),
        },
    )
