"""Top-level routes. Each app owns its pages (``urls.py``) and its API (``api_urls.py``)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gradebook import health

api_patterns = [
    path("", include("gradebook.accounts.api_urls")),
    path("", include("gradebook.courses.api_urls")),
    path("", include("gradebook.quizzes.api_urls")),
    path("", include("gradebook.progress.api_urls")),
    path("", include("gradebook.grades.api_urls")),
    path("", include("exercises.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("gradebook.accounts.urls")),
    path("api/", include(api_patterns)),
    path("teach/", include("gradebook.grades.urls")),
    path("grades/", include("gradebook.grades.student_urls")),
    path("exercises/", include("exercises.urls")),
    path("courses/", include("gradebook.courses.urls")),
    path("lti/", include("gradebook.lti.urls")),
    path("", include("gradebook.progress.urls")),
    path("", include("gradebook.quizzes.urls")),
]

if settings.DEBUG or not settings.PRODUCTION:
    # Generated images are user content: in production a web server or object store serves
    # MEDIA_ROOT; on a laptop Django does.
    urlpatterns += [
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
