"""The teachers' API (under /api/teach/) and the student's feedback endpoint (/api/grades/).

Same rules as the pages: each view checks access with one ``access`` helper (403 for
non-teachers, 404 for other teachers' courses), validates its body with a serializer, calls one
service or selector. Refused actions answer with the shared error body
(``{"error": {"message", "field", "code"}}``): 400 for bad input, 409 for a state conflict.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.grades import access, appeals, attachments, selectors, services
from gradebook.grades.models import RegradeChange, RegradeRun
from gradebook.grades.rubric import review_plan
from gradebook.quizzes.models import Attempt
from gradebook.refusals import Refusal


def _points(score: float | None, max_points: float) -> float | None:
    return None if score is None else round(score * max_points, 2)


def _user(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.get_full_name()}


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    item = attempt.item
    return {
        "id": attempt.pk,
        "student": _user(attempt.student),
        "course": item.course.slug,
        "lesson": item.lesson.slug,
        "item": item.key,
        "item_title": item.title or item.key,
        "type": item.type,
        "number": attempt.number,
        "submitted_at": attempt.submitted_at.isoformat(),
        "status": attempt.status,
        "state": selectors.queue_state(attempt),
    }


def _submission(attempt: Attempt, request: HttpRequest) -> dict[str, Any] | None:
    """What another app attached to the attempt (an exercise's prompt and outputs), as JSON."""
    attached = attachments.attachment_of(attempt)
    return None if attached is None else attached.as_json(request)


def _review(attempt: Attempt) -> dict[str, Any] | None:
    review = selectors.review_of(attempt)
    if review is None:
        return None
    return {
        "state": review.state,
        "rubric_scores": review.rubric_scores,
        "points": review.points,
        "comment": review.comment,
        "reviewer": _user(review.reviewer),
        "updated_at": review.updated_at.isoformat(),
        "returned_at": review.returned_at.isoformat() if review.returned_at else None,
    }


def attempt_detail(attempt: Attempt, request: HttpRequest) -> dict[str, Any]:
    item = attempt.item
    max_points = float(item.points)
    return {
        **attempt_summary(attempt),
        "item_text": item.text,
        "points_possible": max_points,
        "rubric": review_plan(item.spec, attempt.result).criteria,
        "auto_parts": [
            {
                "part": comp.part,
                "label": comp.label,
                "weight": comp.weight,
                "score": comp.auto_score,
            }
            for comp in review_plan(item.spec, attempt.result).auto_parts
        ],
        "model_answer": item.spec.get("model_answer"),
        "response": attempt.response,
        "params": attempt.params,
        "interpreted_as": attempt.interpreted_as,
        "misconception": attempt.misconception,
        "feedback": attempt.feedback,
        "score": attempt.score,
        "points": _points(attempt.score, max_points),
        "auto_score": attempt.auto_score,
        "score_source": attempt.score_source,
        "correct": attempt.correct,
        "review": _review(attempt),
        "submission": _submission(attempt, request),
        "history": selectors.grade_history(attempt),
    }


def run_data(run: RegradeRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "course": run.item.course.slug,
        "item": run.item.key,
        "revision": run.revision.number,
        "status": run.status,
        "progress_done": run.progress_done,
        "progress_total": run.progress_total,
        "percent_done": run.percent_done,
        "summary": run.summary,
        "error": run.error,
        "created_at": run.created_at.isoformat(),
        "previewed_at": run.previewed_at.isoformat() if run.previewed_at else None,
        "applied_at": run.applied_at.isoformat() if run.applied_at else None,
        "stale": run.is_stale(),
    }


def change_data(change: RegradeChange, max_points: float) -> dict[str, Any]:
    return {
        "attempt": change.attempt_id,
        "student": change.attempt.student.get_username(),
        "number": change.attempt.number,
        "response": change.attempt.response,
        "interpreted_as": change.outcome.interpreted_as,
        "old_score": change.old_score,
        "new_score": change.new_score,
        "old_points": _points(change.old_score, max_points),
        "new_points": _points(change.new_score, max_points),
        "old_correct": change.old_correct,
        "new_correct": change.new_correct,
        "applied": change.applied,
        "skipped_reason": change.skipped_reason,
    }


def _limit_offset(request: Request, default: int = 50, most: int = 500) -> tuple[int, int]:
    def read(name: str, fallback: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return fallback
        try:
            value = int(raw)
        except ValueError:
            raise serializers.ValidationError({name: [f"{raw!r} is not a whole number."]}) from None
        if value < 0:
            raise serializers.ValidationError({name: [f"{value} is negative."]})
        return value

    return min(read("limit", default), most), read("offset", 0)


# --- Input serializers --------------------------------------------------------------------------


class ReviewInput(serializers.Serializer):
    rubric_scores = serializers.DictField(child=serializers.JSONField(), required=False)
    points = serializers.JSONField(required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    action = serializers.ChoiceField(choices=["draft", "return"], default="draft")


class OverrideInput(serializers.Serializer):
    points = serializers.FloatField()
    reason = serializers.CharField(max_length=2000)


class MistakeInput(serializers.Serializer):
    answer = serializers.CharField(max_length=500)
    feedback = serializers.CharField(max_length=2000)
    tag = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


# --- Views --------------------------------------------------------------------------------------


class CoursesView(APIView):
    @extend_schema(
        summary="Courses the teacher teaches, with queue counts",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        attempts = access.attempts_for_teacher(request.user)
        return Response(
            {
                "courses": [
                    {
                        "slug": c.slug,
                        "title": c.title,
                        "queue": selectors.queue_counts(
                            attempts, selectors.QueueFilters(course=c.slug)
                        ),
                    }
                    for c in access.courses_for_teacher(request.user)
                ]
            }
        )


class QueueView(APIView):
    @extend_schema(
        summary="Review queue (filters: course, lesson, item, student, state; limit/offset)",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        attempts = access.attempts_for_teacher(request.user)
        filters = selectors.QueueFilters.from_params(request.query_params)
        limit, offset = _limit_offset(request)
        qs = selectors.review_queue(attempts, filters)
        return Response(
            {
                "filters": filters.__dict__,
                "counts": selectors.queue_counts(attempts, filters),
                "count": qs.count(),
                "results": [attempt_summary(a) for a in qs[offset : offset + limit]],
            }
        )


class AttemptView(APIView):
    @extend_schema(
        summary="One attempt with its review, submission and grade history",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_teacher(request.user, pk)
        filters = selectors.QueueFilters.from_params(request.query_params)
        prev, nxt = selectors.queue_neighbours(
            access.attempts_for_teacher(request.user), filters, attempt
        )
        data = attempt_detail(attempt, request)
        data["previous_in_queue"] = prev.pk if prev else None
        data["next_in_queue"] = nxt.pk if nxt else None
        return Response(data)


class ReviewView(APIView):
    @extend_schema(
        summary="Save a review as draft or return it to the student",
        tags=["teach"],
        request=ReviewInput,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_teacher(request.user, pk)
        body = ReviewInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_save(attempt=attempt, by=request.user, **body.validated_data)
        attempt = access.attempt_for_teacher(request.user, pk)
        return Response(attempt_detail(attempt, request))

    put = post


class OverrideView(APIView):
    @extend_schema(
        summary="Override an auto-graded answer (reason required)",
        tags=["teach"],
        request=OverrideInput,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_teacher(request.user, pk)
        body = OverrideInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.grade_override(attempt=attempt, by=request.user, **body.validated_data)
        attempt = access.attempt_for_teacher(request.user, pk)
        return Response(attempt_detail(attempt, request), status=status.HTTP_201_CREATED)


class HistoryView(APIView):
    @extend_schema(
        summary="Every change to an attempt's grade",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_teacher(request.user, pk)
        return Response({"attempt": attempt.pk, "history": selectors.grade_history(attempt)})


class GradebookView(APIView):
    @extend_schema(
        summary="Gradebook: students x lessons with item points and totals",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(request.user, slug)
        return Response(selectors.gradebook_for(course).as_dict())


class CourseHistoryView(APIView):
    @extend_schema(
        summary="Every grade change in a course, newest first (filters: source, student)",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(request.user, slug)
        limit, offset = _limit_offset(request, default=100, most=1000)
        qs = selectors.course_history(
            course,
            source=(request.query_params.get("source") or "").strip(),
            student=(request.query_params.get("student") or "").strip(),
        )
        return Response(
            {
                "course": course.slug,
                "count": qs.count(),
                "results": [selectors.history_row(c) for c in qs[offset : offset + limit]],
            }
        )


class CourseAnalyticsView(APIView):
    @extend_schema(
        summary="Per-item statistics and misconception counts of a course",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(request.user, slug)
        items = [
            {k: v for k, v in row.items() if k != "item"}
            for row in selectors.course_item_stats(course)
        ]
        return Response(
            {
                "course": course.slug,
                "items": items,
                "misconceptions": selectors.course_misconceptions(course),
            }
        )


class ItemAnalyticsView(APIView):
    @extend_schema(
        summary="Item analytics: attempts, first-try share, tries, wrong answers",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, slug: str, key: str) -> Response:
        item = access.item_for_teacher(request.user, slug, key)
        return Response(selectors.item_analytics(item))


class MistakesView(APIView):
    @extend_schema(
        summary="Declare a wrong answer as a known mistake in the item spec",
        tags=["teach"],
        request=MistakeInput,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, slug: str, key: str) -> Response:
        item = access.item_for_teacher(request.user, slug, key)
        body = MistakeInput(data=request.data)
        body.is_valid(raise_exception=True)
        mistake = services.item_add_mistake(item=item, by=request.user, **body.validated_data)
        return Response(
            {"item": item.key, "revision": item.revision, "mistake": mistake},
            status=status.HTTP_201_CREATED,
        )


class RegradeStartView(APIView):
    @extend_schema(
        summary="Start a background regrade preview of an item",
        tags=["teach"],
        request=None,
        responses={202: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, slug: str, key: str) -> Response:
        item = access.item_for_teacher(request.user, slug, key)
        run = services.regrade_start(item=item, by=request.user)
        return Response(run_data(run), status=status.HTTP_202_ACCEPTED)


class RegradeView(APIView):
    @extend_schema(
        summary="A regrade run: progress, summary and the previewed changes",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        run = access.regrade_run_for_teacher(request.user, pk)
        limit, offset = _limit_offset(request, default=100, most=1000)
        changes = run.changes.select_related("attempt", "attempt__student", "outcome").order_by(
            "id"
        )
        points = float(run.item.points)
        return Response(
            {
                **run_data(run),
                "changes": [change_data(c, points) for c in changes[offset : offset + limit]],
            }
        )


class RegradeApplyView(APIView):
    @extend_schema(
        summary="Apply exactly the previewed regrade",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        run = access.regrade_run_for_teacher(request.user, pk)
        run = services.regrade_apply(run=run, by=request.user)
        return Response(run_data(access.regrade_run_for_teacher(request.user, pk)))


class RegradeDiscardView(APIView):
    @extend_schema(
        summary="Discard a regrade preview",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        run = access.regrade_run_for_teacher(request.user, pk)
        run = services.regrade_discard(run=run)
        return Response(run_data(run))


class MyFeedbackView(APIView):
    """A student's own grade and the returned review (a draft stays hidden)."""

    @extend_schema(
        summary="The student's own grade and returned review",
        tags=["grades"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_student(request.user, pk)
        return Response(selectors.feedback_for(attempt).as_dict())


# --- Appeals ------------------------------------------------------------------------------------


class AppealInput(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, allow_blank=True)


class AppealAnswerInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["keep", "change"])
    reply = serializers.CharField(max_length=2000, allow_blank=True)
    points = serializers.FloatField(required=False, allow_null=True, default=None)


class MyAppealsView(APIView):
    """A student's appeals on their own attempt, and a new one."""

    @extend_schema(
        summary="The student's appeals on their own attempt",
        tags=["grades"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_student(request.user, pk)
        rows = attempt.appeals.select_related("attempt__item", "student", "answered_by")
        return Response(
            {
                "attempt": attempt.pk,
                "can_appeal": appeals.can_appeal(attempt),
                "appeals": [appeals.appeal_data(a) for a in rows.order_by("created_at", "id")],
            }
        )

    @extend_schema(
        summary="Ask a teacher to look at a graded attempt again (a reason is required)",
        tags=["grades"],
        request=AppealInput,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        attempt = access.attempt_for_student(request.user, pk)
        body = AppealInput(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = appeals.appeal_open(
            attempt=attempt, student=request.user, comment=body.validated_data["comment"]
        )
        return Response(appeals.appeal_data(appeal), status=status.HTTP_201_CREATED)


class AppealsView(APIView):
    @extend_schema(
        summary="Appeals in the teacher's courses (?state=open|kept|changed|all, default open)",
        tags=["teach"],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state", "open")
        if state not in ("open", "kept", "changed", "all"):
            raise Refusal(
                _("state: '%(s)s' is not one of open, kept, changed, all.") % {"s": state},
                field="state",
            )
        rows = appeals.appeals_for_teacher(access.attempts_for_teacher(request.user), state=state)
        return Response({"appeals": [appeals.appeal_data(a) for a in rows[:500]]})


class AppealAnswerView(APIView):
    @extend_schema(
        summary="Answer an appeal: keep the grade or change it, with a reply to the student",
        tags=["teach"],
        request=AppealAnswerInput,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        appeal = (
            appeals.appeals_for_teacher(access.attempts_for_teacher(request.user), state="all")
            .filter(pk=pk)
            .first()
        )
        if appeal is None:
            raise Http404("No such appeal.")
        body = AppealAnswerInput(data=request.data)
        body.is_valid(raise_exception=True)
        appeal = appeals.appeal_answer(appeal=appeal, by=request.user, **body.validated_data)
        return Response(appeals.appeal_data(appeal))
