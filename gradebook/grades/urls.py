"""Teachers' pages, mounted at /teach/ by the top-level URLconf."""

from django.urls import path

from gradebook.grades import appeal_views, editor_views, views

app_name = "grades"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("queue/groups/", views.answer_groups, name="answer_groups"),
    path("appeals/", appeal_views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/answer/", appeal_views.appeal_answer, name="appeal_answer"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/override/", views.attempt_override, name="override"),
    path("courses/<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("courses/<slug:slug>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    path("courses/<slug:slug>/history/", views.course_history, name="course_history"),
    path("courses/<slug:slug>/analytics/", views.course_analytics, name="course_analytics"),
    path("courses/<slug:slug>/items/<slug:key>/", views.item_analytics, name="item"),
    path("courses/<slug:slug>/items/<slug:key>/answers/", views.item_answers, name="item_answers"),
    path("courses/<slug:slug>/items/<slug:key>/edit/", editor_views.item_edit, name="item_edit"),
    path("courses/<slug:slug>/new-item/", editor_views.item_new, name="item_new"),
    path("courses/<slug:slug>/editor/preview/", editor_views.item_preview, name="item_preview"),
    path("courses/<slug:slug>/items/<slug:key>/mistakes/", views.add_mistake, name="add_mistake"),
    path(
        "courses/<slug:slug>/items/<slug:key>/regrade/", views.regrade_start, name="regrade_start"
    ),
    path("regrades/<int:pk>/", views.regrade_detail, name="regrade"),
    path("regrades/<int:pk>/apply/", views.regrade_apply, name="regrade_apply"),
    path("regrades/<int:pk>/discard/", views.regrade_discard, name="regrade_discard"),
]
