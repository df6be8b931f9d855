from django.urls import path

from gradebook.progress import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
