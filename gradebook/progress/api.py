"""Progress API: the student's level, XP, achievements and per-course progress."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.progress.services import dashboard_for, progress_for
from gradebook.quizzes import access

_Progress = inline_serializer(
    "Progress",
    {
        "level": serializers.DictField(),
        "achievements": serializers.ListField(child=serializers.DictField()),
        "achievements_unlocked": serializers.IntegerField(),
        "courses": serializers.ListField(child=serializers.DictField()),
    },
)


class MyProgress(APIView):
    # Its own operation id: drf-spectacular would name both progress reads progress_retrieve.
    @extend_schema(responses=_Progress, operation_id="progress_overview")
    def get(self, request: Request) -> Response:
        dash = dashboard_for(request.user)
        return Response(
            {
                "level": dash.level.to_dict(),
                "achievements": dash.achievements,
                "achievements_unlocked": dash.achievements_unlocked,
                "courses": [{"slug": c.slug, **p.to_dict()} for c, p in dash.courses],
            }
        )


class CourseProgressView(APIView):
    @extend_schema(
        responses=inline_serializer("CourseProgress", {"percent": serializers.IntegerField()})
    )
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_student(request.user, slug)
        return Response({"slug": course.slug, **progress_for(request.user, course).to_dict()})
