"""The student's side of grading, mounted at /grades/: their grades and teachers' feedback."""

from django.urls import path

from gradebook.grades import appeal_views, views

app_name = "mygrades"

urlpatterns = [
    path("", views.my_grades, name="list"),
    path("attempts/<int:pk>/", views.my_feedback, name="feedback"),
    path("attempts/<int:pk>/appeal/", appeal_views.appeal_open, name="appeal"),
]
