"""The teachers' API, mounted under /api/ by the top-level URLconf."""

from django.urls import path

from gradebook.grades import api

app_name = "grades-api"

urlpatterns = [
    path("teach/courses/", api.CoursesView.as_view(), name="courses"),
    path("teach/queue/", api.QueueView.as_view(), name="queue"),
    path("teach/attempts/<int:pk>/", api.AttemptView.as_view(), name="attempt"),
    path("teach/attempts/<int:pk>/review/", api.ReviewView.as_view(), name="review"),
    path("teach/attempts/<int:pk>/override/", api.OverrideView.as_view(), name="override"),
    path("teach/attempts/<int:pk>/history/", api.HistoryView.as_view(), name="history"),
    path("teach/courses/<slug:slug>/gradebook/", api.GradebookView.as_view(), name="gradebook"),
    path(
        "teach/courses/<slug:slug>/history/", api.CourseHistoryView.as_view(), name="course_history"
    ),
    path(
        "teach/courses/<slug:slug>/analytics/",
        api.CourseAnalyticsView.as_view(),
        name="course_analytics",
    ),
    path(
        "teach/courses/<slug:slug>/items/<slug:key>/analytics/",
        api.ItemAnalyticsView.as_view(),
        name="item_analytics",
    ),
    path(
        "teach/courses/<slug:slug>/items/<slug:key>/mistakes/",
        api.MistakesView.as_view(),
        name="mistakes",
    ),
    path(
        "teach/courses/<slug:slug>/items/<slug:key>/regrades/",
        api.RegradeStartView.as_view(),
        name="regrade_start",
    ),
    path("teach/regrades/<int:pk>/", api.RegradeView.as_view(), name="regrade"),
    path("teach/regrades/<int:pk>/apply/", api.RegradeApplyView.as_view(), name="regrade_apply"),
    path(
        "teach/regrades/<int:pk>/discard/", api.RegradeDiscardView.as_view(), name="regrade_discard"
    ),
    path("grades/attempts/<int:pk>/feedback/", api.MyFeedbackView.as_view(), name="my_feedback"),
    path("grades/attempts/<int:pk>/appeals/", api.MyAppealsView.as_view(), name="my_appeals"),
    path("teach/appeals/", api.AppealsView.as_view(), name="appeals"),
    path("teach/appeals/<int:pk>/answer/", api.AppealAnswerView.as_view(), name="appeal_answer"),
]
