"""The discussion API, mounted under /api/ by the top-level URLconf."""

from django.urls import path

from gradebook.discussion import api

app_name = "discussion-api"

urlpatterns = [
    path("lessons/<int:lesson_id>/comments/", api.LessonCommentsView.as_view(), name="comments"),
    path("lessons/<int:lesson_id>/reports/", api.ReportView.as_view(), name="report"),
    path("comments/<int:pk>/", api.CommentView.as_view(), name="comment"),
    path("comments/<int:pk>/hide/", api.HideView.as_view(), name="hide"),
    path("notifications/", api.NotificationsView.as_view(), name="notifications"),
    path("teach/reports/", api.TeachReportsView.as_view(), name="teach_reports"),
    path(
        "teach/reports/<int:pk>/answer/",
        api.TeachReportAnswerView.as_view(),
        name="teach_report_answer",
    ),
]
