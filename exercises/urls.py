from django.urls import path

from exercises import views

app_name = "exercises"

urlpatterns = [
    path("", views.my_submissions, name="list"),
    path("image-model/", views.image_model_card, name="image_model"),
    path("items/<int:item_id>/", views.exercise_form, name="form"),
    path("<int:submission_id>/", views.submission_page, name="submission"),
    path("<int:submission_id>/status/", views.submission_status, name="status"),
    path("<int:submission_id>/reflection/", views.submission_reflection, name="reflection"),
    path("jobs/<int:job_id>/retry/", views.job_retry, name="retry"),
    path("jobs/<int:job_id>/rerun/", views.job_rerun, name="rerun"),
    path("outputs/<int:output_id>/<str:name>", views.output_file, name="output"),
]
