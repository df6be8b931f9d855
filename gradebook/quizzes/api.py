"""The student API: courses, lessons, items (no keys), interpret, submit, attempts, progress.

Views are thin: an access helper finds the object (404 unless the student may see it), a
service does the work, a serializer shapes the answer. A service's refusal (``SubmitError``,
a ``gradebook.refusals.Refusal``) goes up to ``gradebook.api_errors``, which renders every
failure as ``{"error": {"message", "field", "code"}}``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.courses.models import Item
from gradebook.quizzes import access, serializers, services
from gradebook.quizzes.views_common import item_payload, lesson_items_payload
from gradebook.throttling import UserWindowThrottle
from gradebook.ui.grader_messages import translate_message


class SubmitThrottle(UserWindowThrottle):
    scope = "submit"


class InterpretThrottle(UserWindowThrottle):
    scope = "interpret"


class CourseList(APIView):
    @extend_schema(responses=serializers.CourseSerializer(many=True))
    def get(self, request: Request) -> Response:
        courses = access.courses_for_student(request.user)
        return Response(serializers.CourseSerializer(courses, many=True).data)


class CourseDetail(APIView):
    @extend_schema(responses=serializers.CourseSerializer)
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_student(request.user, slug)
        data = dict(serializers.CourseSerializer(course).data)
        data["lessons"] = serializers.LessonSummarySerializer(
            course.active_lessons(), many=True
        ).data
        return Response(data)


class LessonDetail(APIView):
    @extend_schema(responses=serializers.LessonSerializer)
    def get(self, request: Request, slug: str, lesson_slug: str) -> Response:
        lesson = access.lesson_for_student(request.user, slug, lesson_slug)
        data = dict(serializers.LessonSerializer(lesson).data)
        data["items"] = serializers.LessonItemSerializer(
            lesson_items_payload(request.user, lesson), many=True
        ).data
        return Response(data)


class ItemDetail(APIView):
    @extend_schema(responses=serializers.ItemSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item = access.item_for_student(request.user, item_id)
        return Response(serializers.ItemSerializer(item_payload(request.user, item)).data)


class Interpret(APIView):
    throttle_classes = [InterpretThrottle]

    @extend_schema(
        request=serializers.InterpretRequestSerializer,
        responses=serializers.InterpretationSerializer,
        description="What the grader reads a typed answer as (for the live preview). "
        "Nothing is stored and it does not count as a try.",
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = access.item_for_student(request.user, item_id)
        body = serializers.InterpretRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        interp = services.interpret_answer(
            student=request.user,
            item=item,
            text=body.validated_data["text"],
            part=body.validated_data.get("part") or None,
        )
        interp["message"] = translate_message(interp.get("message") or "")
        return Response(serializers.InterpretationSerializer(interp).data)


def _attempt_data(user: Any, item: Item, attempt: Any) -> dict[str, Any]:
    from gradebook.quizzes.views_common import attempt_payload

    return attempt_payload(user, item, attempt)


class Submit(APIView):
    throttle_classes = [SubmitThrottle]

    @extend_schema(
        request=serializers.SubmitSerializer,
        responses={201: serializers.AttemptSerializer, 200: serializers.AttemptSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Retrying with the same key returns the first attempt (200).",
            )
        ],
        description="Grade an answer at once. An unreadable answer gets the grader's message "
        "(400) and does not count as a try.",
    )
    def post(self, request: Request, item_id: int) -> Response:
        item = access.item_for_student(request.user, item_id)
        response, body_key = serializers.submit_body(request.data)
        key = request.headers.get("Idempotency-Key") or body_key
        attempt = services.submit_answer(
            student=request.user, item=item, response=response, idempotency_key=key
        )
        created = not getattr(attempt, "replayed", False)
        # The payload is already the student-safe allow-list (presentation.attempt_feedback);
        # AttemptSerializer documents it. Skipping a per-request nested serializer build is
        # a measurable share of this hot endpoint's CPU.
        return Response(
            _attempt_data(request.user, item, attempt),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AttemptPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class AttemptList(APIView):
    @extend_schema(
        responses=serializers.AttemptSerializer(many=True),
        parameters=[
            OpenApiParameter("item", int, required=False, description="Only this item's."),
            OpenApiParameter("limit", int, required=False),
            OpenApiParameter("offset", int, required=False),
        ],
    )
    def get(self, request: Request) -> Response:
        attempts = access.attempts_for_user(request.user).select_related("item")
        item_id = request.query_params.get("item")
        if item_id is not None:
            try:
                attempts = attempts.filter(item_id=int(item_id))
            except ValueError:
                raise ValidationError({"item": ["An item id is a whole number."]}) from None
        paginator = AttemptPagination()
        page = paginator.paginate_queryset(attempts, request, view=self) or []
        data = [_attempt_data(request.user, a.item, a) for a in page]
        return paginator.get_paginated_response(serializers.AttemptSerializer(data, many=True).data)


class AttemptDetail(APIView):
    @extend_schema(responses=serializers.AttemptSerializer)
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = access.attempt_for_user(request.user, attempt_id)
        return Response(
            serializers.AttemptSerializer(
                _attempt_data(attempt.student, attempt.item, attempt)
            ).data
        )
