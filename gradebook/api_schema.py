"""The OpenAPI schema and its docs page, behind a login and cut to the reader's role.

A student's schema leaves out the teachers' operations (``/api/teach/...``) and every
component only they use: the docs should not map endpoints a reader cannot call.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from gradebook.accounts.roles import is_teacher

#: Operations under these paths are for teachers (and admins) only.
TEACHER_PREFIXES = ("/api/teach/",)


def _refs(value: Any) -> set[str]:
    text = json.dumps(value)
    marker = '"$ref": "#/components/schemas/'
    found = set()
    start = text.find(marker)
    while start != -1:
        end = text.index('"', start + len(marker))
        found.add(text[start + len(marker) : end])
        start = text.find(marker, end)
    return found


def schema_for_role(schema: dict[str, Any], *, teacher: bool) -> dict[str, Any]:
    """``schema`` without the teachers' paths (unless ``teacher``) and unused components."""
    if teacher:
        return schema
    paths = {
        path: ops
        for path, ops in schema.get("paths", {}).items()
        if not path.startswith(TEACHER_PREFIXES)
    }
    components = schema.get("components", {})
    all_schemas = components.get("schemas", {})
    # Keep what the remaining operations reach, following references between components.
    wanted: set[str] = set()
    frontier = _refs(paths)
    while frontier:
        wanted |= frontier
        frontier = set().union(*(_refs(all_schemas.get(n, {})) for n in frontier)) - wanted
    kept = {name: body for name, body in all_schemas.items() if name in wanted}
    return {**schema, "paths": paths, "components": {**components, "schemas": kept}}


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: the login is ``SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]``."""

    def _get_schema_response(self, request: Request) -> Response:
        response = super()._get_schema_response(request)
        response.data = schema_for_role(response.data, teacher=is_teacher(request.user))
        return response


class DocsView(SpectacularSwaggerSplitView):
    """``/api/docs/``: Swagger UI with its start-up script served separately (the CSP allows
    no inline script). A logged-out visitor is sent to the login page rather than a 403."""

    url_name = "api-schema"

    def handle_exception(self, exc: Exception) -> Any:
        if (
            isinstance(exc, NotAuthenticated | PermissionDenied)
            and not self.request.user.is_authenticated
        ):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
