"""One error body for every API error: ``{"error": {"message", "field", "code", "details"}}``.

Clients (and the lesson page's JS) can always show ``error.message`` and highlight
``error.field`` without knowing which view raised. A service's ``Refusal``
(``gradebook.refusals``) is rendered here, the one place, with its status and ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from gradebook.refusals import Refusal


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


def refusal_body(refusal: Refusal) -> dict[str, Any]:
    """The shared error body for ``refusal`` (also sent outside DRF: the login lockout)."""
    from gradebook.ui.grader_messages import translate_message

    message = translate_message(refusal.message)
    return {
        "error": {
            "message": message,
            "field": refusal.field,
            "code": refusal.code,
            "details": {refusal.field or "non_field_errors": [message]},
        }
    }


def refusal_response(refusal: Refusal) -> Response:
    """The API's answer to ``refusal``: its status, the shared body, ``Retry-After``."""
    response = Response(refusal_body(refusal), status=refusal.status)
    if refusal.retry_after is not None:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refusal):
        set_rollback()  # nothing of a refused request is kept, as for DRF's own errors
        return refusal_response(exc)
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
