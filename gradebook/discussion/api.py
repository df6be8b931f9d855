"""The discussion API: the same rules as the pages, the shared error body on refusals."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.accounts.roles import is_teacher
from gradebook.courses.models import Item
from gradebook.courses.rendering import render_user_markdown
from gradebook.discussion import services
from gradebook.discussion.models import Comment, ProblemReport, ReportState
from gradebook.discussion.services import DiscussionError


def comment_data(c: Comment, viewer: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "lesson": c.lesson_id,
        "parent": c.parent_id,
        "author": None if c.is_deleted else c.author.get_username(),
        "body": "" if c.is_deleted else c.body,
        "html": "" if c.is_deleted else str(render_user_markdown(c.body)),
        "created_at": c.created_at.isoformat(),
        "edited_at": c.edited_at.isoformat() if c.edited_at else None,
        "deleted": c.is_deleted,
        "hidden": c.is_hidden,
        "mine": c.author_id == viewer.pk,
    }


def report_data(r: ProblemReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "course": r.course.slug,
        "lesson": r.lesson.slug,
        "item": r.item.key if r.item else None,
        "item_revision": r.item_revision,
        "reporter": r.reporter.get_username(),
        "text": r.text,
        "state": r.state,
        "created_at": r.created_at.isoformat(),
        "resolution": r.resolution,
        "resolved_by": r.resolved_by.get_username() if r.resolved_by else None,
    }


class CommentInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    parent = serializers.IntegerField(required=False, allow_null=True, default=None)


class EditInput(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class HideInput(serializers.Serializer):
    hidden = serializers.BooleanField(default=True)


class ReportInput(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    item = serializers.IntegerField(required=False, allow_null=True, default=None)


class ResolveInput(serializers.Serializer):
    state = serializers.ChoiceField(choices=[ReportState.FIXED, ReportState.DISMISSED])
    note = serializers.CharField(allow_blank=True)


class LessonCommentsView(APIView):
    @extend_schema(
        summary="A lesson's discussion, as threads", tags=["discussion"], request=None,
        responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def get(self, request: Request, lesson_id: int) -> Response:
        lesson = services.lesson_for_member(request.user, lesson_id)
        return Response(
            {
                "lesson": lesson.pk,
                "threads": [
                    {
                        **comment_data(t.comment, request.user),
                        "replies": [comment_data(r, request.user) for r in t.replies],
                    }
                    for t in services.threads(lesson, request.user)
                ],
            }
        )

    @extend_schema(
        summary="Comment on a lesson, or reply to a comment (Markdown)", tags=["discussion"],
        request=CommentInput, responses={201: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def post(self, request: Request, lesson_id: int) -> Response:
        lesson = services.lesson_for_member(request.user, lesson_id)
        body = CommentInput(data=request.data)
        body.is_valid(raise_exception=True)
        c = services.comment_post(lesson=lesson, author=request.user, **body.validated_data)
        return Response(comment_data(c, request.user), status=status.HTTP_201_CREATED)


class CommentView(APIView):
    @extend_schema(
        summary="Edit your comment", tags=["discussion"], request=EditInput,
        responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def patch(self, request: Request, pk: int) -> Response:
        comment = services.comment_for_member(request.user, pk)
        body = EditInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.comment_edit(comment=comment, by=request.user, **body.validated_data)
        return Response(comment_data(comment, request.user))

    @extend_schema(
        summary="Delete your comment", tags=["discussion"], request=None, responses={204: None}
    )
    def delete(self, request: Request, pk: int) -> Response:
        comment = services.comment_for_member(request.user, pk)
        services.comment_delete(comment=comment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HideView(APIView):
    @extend_schema(
        summary="Hide or show a comment (the course's teachers)", tags=["discussion"],
        request=HideInput, responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        comment = services.comment_for_member(request.user, pk)
        body = HideInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.comment_hide(comment=comment, by=request.user, **body.validated_data)
        return Response(comment_data(comment, request.user))


class ReportView(APIView):
    @extend_schema(
        summary="Report a problem with a lesson or one of its items", tags=["discussion"],
        request=ReportInput, responses={201: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def post(self, request: Request, lesson_id: int) -> Response:
        lesson = services.lesson_for_member(request.user, lesson_id)
        body = ReportInput(data=request.data)
        body.is_valid(raise_exception=True)
        item = None
        if body.validated_data["item"] is not None:
            item = Item.objects.filter(pk=body.validated_data["item"], lesson=lesson).first()
            if item is None:
                raise Http404("No such item.")
        r = services.report_problem(
            user=request.user, lesson=lesson, item=item, text=body.validated_data["text"]
        )
        return Response(report_data(r), status=status.HTTP_201_CREATED)


class NotificationsView(APIView):
    @extend_schema(
        summary="Your notifications, newest first (reading them marks them read)",
        tags=["discussion"], request=None, responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        rows = services.notifications_of(request.user)
        data = [
            {
                "id": n.pk,
                "kind": n.kind,
                "text": n.text,
                "url": n.url,
                "created_at": n.created_at.isoformat(),
                "read": n.read_at is not None,
            }
            for n in rows
        ]
        services.mark_read(request.user)
        return Response({"notifications": data})


class TeachReportsView(APIView):
    @extend_schema(
        summary="Problem reports in your courses (?state=open|fixed|dismissed|all)",
        tags=["teach"], request=None, responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        if not is_teacher(request.user):
            raise PermissionDenied(_("Only teachers see problem reports."))
        state = request.query_params.get("state", "open")
        if state not in (*ReportState.values, "all"):
            raise DiscussionError(
                _("state: '%(s)s' is not one of open, fixed, dismissed, all.") % {"s": state},
                field="state",
            )
        rows = services.reports_for_teacher(request.user, state=state)[:500]
        return Response({"reports": [report_data(r) for r in rows]})


class TeachReportAnswerView(APIView):
    @extend_schema(
        summary="Mark a problem report fixed or dismissed, with a note to the reporter",
        tags=["teach"], request=ResolveInput, responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        if not is_teacher(request.user):
            raise PermissionDenied(_("Only teachers answer problem reports."))
        found = services.reports_for_teacher(request.user, state="all").filter(pk=pk).first()
        if found is None:
            raise Http404("No such report.")
        body = ResolveInput(data=request.data)
        body.is_valid(raise_exception=True)
        r = services.report_resolve(report=found, by=request.user, **body.validated_data)
        return Response(report_data(r))
