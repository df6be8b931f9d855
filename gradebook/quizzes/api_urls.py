"""Student API routes (under /api/)."""

from django.urls import path

from gradebook.quizzes import api

urlpatterns = [
    path("courses/", api.CourseList.as_view(), name="api-courses"),
    path("courses/<slug:slug>/", api.CourseDetail.as_view(), name="api-course"),
    path(
        "courses/<slug:slug>/lessons/<slug:lesson_slug>/",
        api.LessonDetail.as_view(),
        name="api-lesson",
    ),
    path("items/<int:item_id>/", api.ItemDetail.as_view(), name="api-item"),
    path("items/<int:item_id>/interpret/", api.Interpret.as_view(), name="api-interpret"),
    path("items/<int:item_id>/submit/", api.Submit.as_view(), name="api-submit"),
    path("attempts/", api.AttemptList.as_view(), name="api-attempts"),
    path("attempts/<int:attempt_id>/", api.AttemptDetail.as_view(), name="api-attempt"),
]
