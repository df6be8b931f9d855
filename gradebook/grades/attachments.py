"""What other apps attach to an attempt, for the review and gradebook pages and the grades API.

An exercise attempt comes with the student's prompt, reflection and the generated outputs;
they belong to the exercises app, which the gradebook must not know. That app registers an
``AttachmentKind`` here from its ``AppConfig.ready()``; the grades views and API ask
``attachment_of(attempt)`` and render what they get through the kind's own templates and
JSON. Without the exercises app installed an attempt simply has no attachment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from gradebook.quizzes.models import Attempt


@dataclass(frozen=True)
class AttachmentKind:
    """One kind of attachment and how to show it."""

    name: str
    #: The attempt's attached object, or None when it has none of this kind.
    find: Callable[[Attempt], Any | None]
    #: The object as JSON (the same shape as the owning app's own API).
    as_json: Callable[[Any, HttpRequest], dict[str, Any]]
    #: Partials the teacher's review page and the student's feedback page include; each
    #: gets the object as ``attached``.
    review_template: str
    feedback_template: str


@dataclass(frozen=True)
class Attached:
    """An attempt's attachment: its kind and the object."""

    kind: AttachmentKind
    object: Any

    @property
    def review_template(self) -> str:
        return self.kind.review_template

    @property
    def feedback_template(self) -> str:
        return self.kind.feedback_template

    def as_json(self, request: HttpRequest) -> dict[str, Any]:
        return self.kind.as_json(self.object, request)


_KINDS: dict[str, AttachmentKind] = {}


def register(kind: AttachmentKind) -> None:
    """Add ``kind`` (again: a reloaded app replaces its own entry)."""
    _KINDS[kind.name] = kind


def attachment_of(attempt: Attempt) -> Attached | None:
    """The attempt's attachment, if an installed app has one for it."""
    for kind in _KINDS.values():
        found = kind.find(attempt)
        if found is not None:
            return Attached(kind, found)
    return None
