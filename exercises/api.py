"""The exercises API: submit, read a submission with its outputs, poll its state, reflect, retry.

A service's refusal (``ExerciseInputError``, the quizzes app's ``SubmitError``: both
``gradebook.refusals.Refusal``) is rendered by ``gradebook.api_errors`` with the shared body
``{"error": {"message", "field", ...}}``, the field path of the bad input
(``settings.text.temperature``), its status and ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercises import access, services
from exercises.models import ExerciseSubmission, GenerationJob, Rerun, model_display_name
from gradebook.quizzes import access as quiz_access


# Its own component name: the quiz API's SubmitSerializer would otherwise share "Submit" in
# the OpenAPI schema, and one of the two request bodies would be documented wrongly.
@extend_schema_serializer(component_name="ExerciseSubmit")
class SubmitSerializer(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True, trim_whitespace=False)
    reflection = serializers.CharField(required=False, allow_blank=True, default="")
    settings = serializers.DictField(required=False, default=dict)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ReflectionSerializer(serializers.Serializer):
    reflection = serializers.CharField(allow_blank=True)


class OutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    step = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    text = serializers.CharField()
    metadata = serializers.JSONField()

    def get_url(self, output: Any) -> str | None:
        url = output.url
        if url is None:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class RerunSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rerun
        fields = [
            "id",
            "status",
            "verdict",
            "differences",
            "measures",
            "error",
            "created_at",
            "finished_at",
        ]


def public_environment(env: dict[str, Any]) -> dict[str, Any]:
    """A run's environment as students may read it: the model by name, not by server path."""
    if not env:
        return {}
    out = {k: v for k, v in env.items() if k != "model_id"}
    out["model"] = model_display_name(env.get("model_id", ""))
    return out


class JobSerializer(serializers.ModelSerializer):
    outputs = OutputSerializer(many=True, read_only=True)
    # The model's name, never the worker's file path (students read this API).
    model_id = serializers.CharField(source="model_name", read_only=True)
    environment = serializers.SerializerMethodField()
    reruns = RerunSerializer(many=True, read_only=True)

    def get_environment(self, job: Any) -> dict[str, Any]:
        return public_environment(job.environment or {})

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "kind",
            "status",
            "progress_step",
            "progress_total",
            "attempts",
            "error",
            "settings",
            "device",
            "model_id",
            "model_revision",
            "untrained_model",
            "timings",
            "result",
            "queued_at",
            "started_at",
            "finished_at",
            "outputs",
            "environment",
            "reruns",
        ]


class SubmissionSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="attempt.item_id")
    attempt = serializers.IntegerField(source="attempt_id")
    jobs = JobSerializer(many=True, read_only=True)

    class Meta:
        model = ExerciseSubmission
        fields = ["id", "item", "attempt", "prompt", "reflection", "settings", "created_at", "jobs"]


def submission_data(submission: ExerciseSubmission, request: Any) -> dict[str, Any]:
    """A submission with its jobs and outputs: the one JSON shape of an exercise submission,
    here and in the gradebook's API (through ``exercises.plugins``)."""
    return dict(SubmissionSerializer(submission, context={"request": request}).data)


def _detail(request: Request, submission: ExerciseSubmission, code: int = 200) -> Response:
    submission = (
        ExerciseSubmission.objects.prefetch_related("jobs__outputs", "jobs__reruns")
        .select_related("attempt")
        .get(pk=submission.pk)
    )
    return Response(submission_data(submission, request), status=code)


class SubmissionCreate(APIView):
    @extend_schema(request=SubmitSerializer, responses={201: SubmissionSerializer})
    def post(self, request: Request, item_id: int) -> Response:
        item = quiz_access.item_for_student(request.user, item_id)
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submission = services.exercise_submit(
            student=request.user,
            item=item,
            prompt=body.validated_data["prompt"],
            reflection=body.validated_data["reflection"],
            settings_in=body.validated_data["settings"],
            idempotency_key=body.validated_data.get("idempotency_key") or None,
        )
        return _detail(request, submission, status.HTTP_201_CREATED)


class SubmissionList(APIView):
    @extend_schema(responses={200: SubmissionSerializer(many=True)})
    def get(self, request: Request) -> Response:
        submissions = access.submissions_for_user(request.user).prefetch_related("jobs__outputs")[
            :100
        ]
        data = SubmissionSerializer(submissions, many=True, context={"request": request}).data
        return Response(data)


class SubmissionDetail(APIView):
    @extend_schema(responses={200: SubmissionSerializer})
    def get(self, request: Request, submission_id: int) -> Response:
        return _detail(request, access.submission_for_user(request.user, submission_id))


class SubmissionStatus(APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, submission_id: int) -> Response:
        submission = access.submission_for_user(request.user, submission_id)
        return Response(services.submission_state(submission))


class SubmissionReflection(APIView):
    @extend_schema(request=ReflectionSerializer, responses={200: SubmissionSerializer})
    def post(self, request: Request, submission_id: int) -> Response:
        submission = access.submission_for_owner(request.user, submission_id)
        body = ReflectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.submission_reflect(
            submission=submission, reflection=body.validated_data["reflection"]
        )
        return _detail(request, submission)


class JobRerun(APIView):
    @extend_schema(
        summary="Re-run a finished job and compare its outputs with the stored ones",
        request=None,
        responses={202: RerunSerializer},
    )
    def post(self, request: Request, job_id: int) -> Response:
        from exercises.reruns import rerun_request

        job = access.job_for_user(request.user, job_id)
        rerun = rerun_request(job=job, by=request.user)
        return Response(RerunSerializer(rerun).data, status=status.HTTP_202_ACCEPTED)


class JobRetry(APIView):
    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, job_id: int) -> Response:
        job = access.job_for_user(request.user, job_id)
        job = services.job_retry(job=job)
        return Response(
            JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )
