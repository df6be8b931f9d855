from django.urls import path

from gradebook.courses import views

urlpatterns = [
    path(
        "<slug:slug>/media/<str:sha256>.<str:extension>",
        views.bank_media,
        name="bank-media",
    ),
]
