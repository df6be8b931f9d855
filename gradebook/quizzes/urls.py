"""Student pages."""

from django.urls import path

from gradebook.quizzes import views

urlpatterns = [
    path("learn/attempts/", views.attempt_history, name="attempts"),
    path("learn/items/<int:item_id>/submit/", views.submit, name="item-submit"),
    path("learn/<slug:slug>/", views.course_page, name="course"),
    path("learn/<slug:slug>/<slug:lesson_slug>/", views.lesson_page, name="lesson"),
]
