"""One error body for every API error: ``{"error": {"message", "field", "code", "details"}}``.

Clients (and the lesson page's JS) can always show ``error.message`` and highlight
``error.field`` without knowing which view raised.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _first_message(detail: Any) -> tuple[str, str | None]:
    if isinstance(detail, dict):
        for field, value in detail.items():
            message, inner = _first_message(value)
            name = field if field != "non_field_errors" else None
            return message, inner or name
        return "Invalid input.", None
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail), None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    code = getattr(exc, "default_code", "error")
    if isinstance(data, dict) and set(data) == {"detail"}:
        message, field = str(data["detail"]), None
        details: Any = None
    else:
        message, field = _first_message(data)
        details = data
    body: dict[str, Any] = {"message": message, "field": field, "code": code}
    if details is not None:
        body["details"] = details
    response.data = {"error": body}
    return response
