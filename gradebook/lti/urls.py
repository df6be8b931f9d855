"""LTI endpoints, mounted at /lti/ by the top-level URLconf (docs/lti.md lists what to paste
where in the LMS)."""

from django.urls import path

from gradebook.lti import views

app_name = "lti"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/<uuid:registration_uuid>/", views.login, name="login_for"),
    path("launch/", views.launch, name="launch"),
    path("jwks/", views.jwks, name="jwks"),
    path("deep-link/", views.deep_link, name="deep_link"),
    path("links/<int:link_id>/choose/", views.choose, name="choose"),
    path("placements/<int:pk>/", views.placement_detail, name="placement"),
    path("placements/<int:pk>/roster/", views.roster_sync, name="roster_sync"),
    path("placements/<int:pk>/resend/", views.scores_resend, name="scores_resend"),
]
