from django.urls import path

from exercises import api

urlpatterns = [
    path(
        "exercises/items/<int:item_id>/submissions/",
        api.SubmissionCreate.as_view(),
        name="api-exercise-submit",
    ),
    path("exercises/submissions/", api.SubmissionList.as_view(), name="api-exercise-submissions"),
    path(
        "exercises/submissions/<int:submission_id>/",
        api.SubmissionDetail.as_view(),
        name="api-exercise-submission",
    ),
    path(
        "exercises/submissions/<int:submission_id>/status/",
        api.SubmissionStatus.as_view(),
        name="api-exercise-status",
    ),
    path(
        "exercises/submissions/<int:submission_id>/reflection/",
        api.SubmissionReflection.as_view(),
        name="api-exercise-reflection",
    ),
    path("exercises/jobs/<int:job_id>/retry/", api.JobRetry.as_view(), name="api-exercise-retry"),
    path("exercises/jobs/<int:job_id>/rerun/", api.JobRerun.as_view(), name="api-exercise-rerun"),
]
