"""Account API routes (under /api/)."""

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from gradebook.accounts import api

urlpatterns = [
    path("me/", api.Me.as_view(), name="api-me"),
    path("join/", api.Join.as_view(), name="api-join"),
    path("auth/token/", obtain_auth_token, name="api-token"),
]
