"""Values from a student's own model run, for "your run" items (``from_run`` in the spec).

The key of such an item is an expression in its params (``-ln(p)``), as for any parameterised
item; what differs is where the values come from: the student's latest successful run of the
exercise the item names, not a hash of their id. The runs belong to the exercises app, which
the quiz must not import, so that app registers a provider here from its ``AppConfig.ready()``.

The values are frozen with each attempt (``Attempt.params``), so a later run or a regrade never
changes what an answer was asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunValues:
    """What one run gives a "your run" item."""

    values: dict[str, Any]
    #: (label, value) lines shown beside the question: "the token the model chose", "'the'".
    shown: list[tuple[str, str]] = field(default_factory=list)
    #: Where the run can be seen (the exercise's submission page).
    url: str = ""
    when: Any = None


@dataclass(frozen=True)
class NoRun:
    """The student has no successful run yet: the item says so and links to the exercise."""

    exercise_title: str
    url: str


#: (student, item, from_run) -> RunValues, NoRun, or None when the exercise does not exist.
Provider = Callable[[Any, Any, dict[str, Any]], "RunValues | NoRun | None"]
_provider: list[Provider] = []


def register(provider: Provider) -> None:
    _provider[:] = [provider]


def run_for(student: Any, item: Any) -> RunValues | NoRun | None:
    """The run values for ``item`` (None when it is not a "your run" item or nothing provides)."""
    spec = item.spec or {}
    from_run = spec.get("from_run")
    if not isinstance(from_run, dict) or not _provider:
        return None
    return _provider[0](student, item, from_run)


def overlay(params: dict[str, Any], run: RunValues) -> dict[str, Any]:
    """The item's declared params, each taken from the run where the run has it."""
    return {name: run.values.get(name, value) for name, value in params.items()}
