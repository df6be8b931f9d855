"""Discussion pages, mounted at /discussion/ by the top-level URLconf."""

from django.urls import path

from gradebook.discussion import views

app_name = "discussion"

urlpatterns = [
    path("lessons/<int:lesson_id>/comments/", views.comment_post, name="post"),
    path("lessons/<int:lesson_id>/reports/", views.report, name="report"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="edit"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="delete"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="hide"),
    path("notifications/", views.notifications, name="notifications"),
    path("courses/<slug:slug>/", views.course_discussion, name="course"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/answer/", views.report_resolve, name="report_resolve"),
]
