"""Account API: who am I, join a course by code, and a token for scripts."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.accounts.roles import is_admin, is_teacher
from gradebook.accounts.services import JoinError, join_course
from gradebook.quizzes.serializers import CourseSerializer, JoinSerializer


class Me(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "is_teacher": serializers.BooleanField(),
                "is_admin": serializers.BooleanField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "id": user.pk,
                "username": user.get_username(),
                "is_teacher": is_teacher(user),
                "is_admin": is_admin(user),
            }
        )


class Join(APIView):
    @extend_schema(request=JoinSerializer, responses={200: CourseSerializer, 201: CourseSerializer})
    def post(self, request: Request) -> Response:
        body = JoinSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            course, newly = join_course(student=request.user, code=body.validated_data["code"])
        except JoinError as error:
            raise ValidationError({"code": [error.message]}) from None
        return Response(
            CourseSerializer(course).data,
            status=status.HTTP_201_CREATED if newly else status.HTTP_200_OK,
        )
