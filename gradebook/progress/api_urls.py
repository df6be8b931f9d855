"""Progress API routes (under /api/)."""

from django.urls import path

from gradebook.progress import api

urlpatterns = [
    path("progress/", api.MyProgress.as_view(), name="api-progress"),
    path("progress/<slug:slug>/", api.CourseProgressView.as_view(), name="api-course-progress"),
]
