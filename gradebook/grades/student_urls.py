"""The student's side of grading, mounted at /grades/: their grades and teachers' feedback."""

from django.urls import path

from gradebook.grades import views

app_name = "mygrades"

urlpatterns = [
    path("", views.my_grades, name="list"),
    path("attempts/<int:pk>/", views.my_feedback, name="feedback"),
]
