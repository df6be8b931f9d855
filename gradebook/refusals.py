"""``Refusal``: the one shape of a refused request, for every app, rendered in one place.

A service refuses by raising a ``Refusal`` (or a subclass naming the case): nothing was stored
or changed. It carries what a client needs to show and act on it: the ``message``, the
``field`` it is about (None for the request as a whole), a stable ``code``, the HTTP
``status`` and, for "come back later", ``retry_after`` in seconds. The API renders it in
``gradebook.api_errors.exception_handler`` as ``{"error": {"message", "field", "code",
"details"}}`` with ``Retry-After`` where it applies; HTML views show ``errors`` beside the form
fields. Views therefore need no per-app exception classes and no ``try`` around the service.
"""

from __future__ import annotations


class Refusal(Exception):
    """A refused request; nothing was stored. Subclasses set ``code`` and ``status``."""

    code = "invalid"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.retry_after = retry_after
        #: For HTML forms: the message under its field, or under "form" for the whole form.
        self.errors: dict[str, str] = {field or "form": message}
