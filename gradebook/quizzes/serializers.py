"""Student-facing API shapes. Fields are named explicitly (never ``__all__``): nothing of an
item's key, grading rules or rubric can reach a student by adding a model field.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from gradebook.courses.models import Course, Lesson

#: Larger responses are refused before grading: far beyond any real answer, small enough that a
#: hostile client cannot make the server parse megabytes of JSON per request.
MAX_RESPONSE_BYTES = 20_000


class CourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "slug", "title", "description", "language"]


class LessonSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = [
            "id",
            "slug",
            "order",
            "title",
            "summary",
            "estimated_minutes",
            "tags",
            "language",
        ]


class LessonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = [
            "id", "slug", "order", "title", "summary", "body", "estimated_minutes", "tags",
            "language", "key_facts", "takeaways", "vocabulary", "common_mistakes",
        ]  # fmt: skip


class ChoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()


class InputSerializer(serializers.Serializer):
    type = serializers.CharField()
    unit = serializers.CharField(required=False)
    unit_required = serializers.BooleanField(required=False)
    variables = serializers.ListField(child=serializers.CharField(), required=False)
    multiple = serializers.BooleanField(required=False)
    choices = ChoiceSerializer(many=True, required=False)
    min_chars = serializers.IntegerField(required=False)
    max_chars = serializers.IntegerField(required=False)
    help = serializers.CharField(required=False)
    placeholder = serializers.CharField(required=False)


class PartSerializer(InputSerializer):
    id = serializers.CharField()
    label = serializers.CharField()
    weight = serializers.FloatField(required=False)


class ItemStateSerializer(serializers.Serializer):
    attempts = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True)
    correct = serializers.BooleanField()
    done = serializers.BooleanField()
    pending_review = serializers.BooleanField()
    best_score = serializers.FloatField(allow_null=True, required=False)


class ItemSerializer(InputSerializer):
    """Fed the dict from ``presentation.student_item``: the allow-list lives there."""

    id = serializers.IntegerField()
    key = serializers.CharField()
    lesson = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    text = serializers.CharField(allow_blank=True)
    points = serializers.FloatField()
    max_attempts = serializers.IntegerField(allow_null=True)
    retry_penalty = serializers.FloatField()
    params = serializers.DictField()
    reviewed = serializers.BooleanField()
    parts = PartSerializer(many=True, required=False)
    models = serializers.ListField(child=serializers.CharField(), required=False)
    reflection = serializers.DictField(required=False)
    prompt = serializers.DictField(required=False)
    settings = serializers.DictField(required=False)
    state = ItemStateSerializer()


class InterpretationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    canonical = serializers.CharField(allow_blank=True)
    latex = serializers.CharField(allow_blank=True)
    mathml = serializers.CharField(allow_blank=True)
    message = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField(allow_null=True)


class PartFeedbackSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    correct = serializers.BooleanField()
    feedback = serializers.CharField(allow_blank=True)
    interpretation = InterpretationSerializer(allow_null=True)
    hints = serializers.ListField(child=serializers.CharField())


class AwardSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField()
    amount = serializers.IntegerField()
    icon = serializers.CharField(allow_blank=True)


class AttemptSerializer(serializers.Serializer):
    """Fed the dict from ``presentation.attempt_feedback``."""

    id = serializers.IntegerField()
    item = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    auto_score = serializers.FloatField(allow_null=True)
    correct = serializers.BooleanField()
    feedback = serializers.CharField(allow_blank=True)
    interpretation = InterpretationSerializer(allow_null=True)
    parts = PartFeedbackSerializer(many=True)
    hints = serializers.ListField(child=serializers.CharField())
    params = serializers.DictField()
    response = serializers.JSONField()
    submitted_at = serializers.DateTimeField()
    explanation = serializers.CharField(allow_null=True)
    explanation_html = serializers.CharField(
        allow_null=True, help_text="The explanation as sanitised HTML with MathML."
    )
    awards = AwardSerializer(many=True, required=False)
    state = ItemStateSerializer(required=False)


class LessonItemSerializer(ItemSerializer):
    """An item on a lesson: with the student's state and their last attempt's verdict."""

    last_attempt = AttemptSerializer(allow_null=True)


class SubmitSerializer(serializers.Serializer):
    response = serializers.JSONField(
        help_text="A string for numeric/symbolic/free-text items, a choice id or list of ids, "
        "or {part_id: answer} for multipart items and exercises."
    )
    idempotency_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Or the Idempotency-Key header: the same key records one attempt.",
    )

    def validate_response(self, value: Any) -> Any:
        return check_response(value)


def check_response(value: Any) -> Any:
    """An answer is present and of a size the grader will look at."""
    if value is None:
        raise serializers.ValidationError("Type an answer before submitting.")
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > MAX_RESPONSE_BYTES:
        raise serializers.ValidationError(
            f"This answer is {size:,} bytes long; at most {MAX_RESPONSE_BYTES:,} are accepted."
        )
    return value


def submit_body(data: Any) -> tuple[Any, str | None]:
    """``(response, idempotency_key)`` from a submit body, validated as ``SubmitSerializer``.

    The usual body (a JSON object with a string, list or object answer and at most a short
    key) is checked here directly: building a DRF serializer per answer was 3% of the submit
    endpoint's CPU. Anything else goes through the serializer, which raises the usual 400
    with the message and field.
    """
    # A plain dict is a parsed JSON object (form posts arrive as a QueryDict: serializer path).
    if type(data) is dict and set(data) <= {"response", "idempotency_key"}:
        response = data.get("response")
        key = data.get("idempotency_key")
        if isinstance(response, (str, list, dict)) and (key is None or isinstance(key, str)):
            key = key.strip() if key is not None else None
            if key is None or len(key) <= 100:
                try:
                    return check_response(response), key
                except serializers.ValidationError:
                    pass  # the serializer below reports it with its field
    body = SubmitSerializer(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data["response"], body.validated_data.get("idempotency_key")


class InterpretRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=2000, trim_whitespace=False)
    part = serializers.CharField(required=False, allow_blank=True, max_length=100)


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)
