"""Template filters for grades pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pts(value: Any) -> str:
    """Points as people write them: 2, 1.5, 0.33 (no trailing zeros); '–' when there are none."""
    if value is None or value == "":
        return "–"
    try:
        number = round(float(value), 2)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:g}"


@register.filter
def percent(value: Any) -> str:
    """A share in [0, 1] as a whole percentage; '–' when undefined."""
    if value is None:
        return "–"
    return f"{round(float(value) * 100):d}%"


@register.filter
def regrade_status(value: str) -> str:
    """A regrade run's status in the page's language."""
    from django.utils.translation import gettext as _

    return {
        "queued": _("queued"),
        "running": _("running"),
        "previewed": _("preview ready"),
        "applied": _("applied"),
        "failed": _("failed"),
        "discarded": _("discarded"),
    }.get(value, value)


@register.filter
def points_of(score: Any, max_points: Any) -> float | None:
    """A score in [0, 1] as points out of ``max_points``; ``None`` when there is no score."""
    if score is None:
        return None
    return round(float(score) * float(max_points), 2)
