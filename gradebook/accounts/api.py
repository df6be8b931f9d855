"""Account API: who am I, join a course by code, and a token for scripts."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.accounts.roles import is_admin, is_teacher
from gradebook.accounts.security import (
    lockout_response,
    token_expires_at,
    token_issue,
    tokens_revoke,
)
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


class AuthToken(ObtainAuthToken):
    """POST username and password for a token (``Authorization: Token <key>``) that expires
    at ``expires_at``; DELETE revokes the caller's tokens. Wrong passwords count towards the
    same lockout as the login page."""

    permission_classes = (AllowAny,)

    def get_permissions(self) -> list[Any]:
        if self.request.method == "DELETE":
            return [permission() for permission in APIView.permission_classes]
        return super().get_permissions()  # type: ignore[no-any-return]

    @extend_schema(
        responses=inline_serializer(
            "IssuedToken",
            {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()},
        )
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response | HttpResponse:
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False):
            # authenticate() flagged this request (axes sets it on the request it was given).
            return lockout_response(request._request)
        if not valid:
            raise ValidationError(serializer.errors)
        token = token_issue(serializer.validated_data["user"])
        return Response({"token": token.key, "expires_at": token_expires_at(token)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tokens_revoke(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
