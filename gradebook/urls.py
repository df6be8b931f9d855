"""Top-level routes. Each app owns its pages (``urls.py``) and its API (``api_urls.py``)."""

from csp.decorators import csp_replace
from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from gradebook import health
from gradebook.api_schema import DocsView, SchemaView

api_patterns = [
    path("", include("gradebook.accounts.api_urls")),
    path("", include("gradebook.courses.api_urls")),
    path("", include("gradebook.quizzes.api_urls")),
    path("", include("gradebook.progress.api_urls")),
    path("", include("gradebook.grades.api_urls")),
    path("", include("gradebook.discussion.api_urls")),
    path("", include("exercises.api_urls")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    # Swagger UI inserts <style> elements as it renders: the one page whose styles (never its
    # scripts) may be inline.
    path(
        "docs/",
        csp_replace({"style-src": ["'self'", "'unsafe-inline'"]})(DocsView.as_view()),
        name="api-docs",
    ),
]
if apps.is_installed("gradebook.bench"):  # BENCH=1: load tests only, never production
    api_patterns.append(path("", include("gradebook.bench.urls")))

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("gradebook.accounts.urls")),
    path("api/", include(api_patterns)),
    path("teach/", include("gradebook.grades.urls")),
    path("grades/", include("gradebook.grades.student_urls")),
    path("discussion/", include("gradebook.discussion.urls")),
    path("exercises/", include("exercises.urls")),
    path("courses/", include("gradebook.courses.urls")),
    path("lti/", include("gradebook.lti.urls")),
    path("", include("gradebook.progress.urls")),
    path("", include("gradebook.quizzes.urls")),
]

# No route serves MEDIA_ROOT: generated outputs are private to their student and teachers and
# go out through exercises.views.output_file, which checks who is asking.
