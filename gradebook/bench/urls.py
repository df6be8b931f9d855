"""The bare baseline endpoint, under /api/ (routed only when the bench app is installed)."""

from django.urls import path

from gradebook.bench.views import BareWrite

urlpatterns = [path("bench/bare/", BareWrite.as_view(), name="api-bench-bare")]
