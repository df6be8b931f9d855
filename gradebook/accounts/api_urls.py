"""Account API routes (under /api/)."""

from django.urls import path

from gradebook.accounts import api

urlpatterns = [
    path("me/", api.Me.as_view(), name="api-me"),
    path("join/", api.Join.as_view(), name="api-join"),
    path("auth/token/", api.AuthToken.as_view(), name="api-token"),
]
