"""Template helpers for the lesson page."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def include_optional(context: Any, name: str, fallback: str = "") -> SafeString:
    """Include ``name`` when it exists (a partial another app owns), else ``fallback`` text.

    The exercises app owns ``exercises/_exercise_item.html``: a deployment without that app
    still renders the lesson page, with the fallback; with it, an error inside the partial is
    not hidden (only a missing template is tolerated).
    """
    try:
        tpl = get_template(name)
    except TemplateDoesNotExist:
        return mark_safe(f'<p class="note">{fallback}</p>' if fallback else "")  # noqa: S308
    return tpl.render(context.flatten(), context.get("request"))


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def outcome_label(outcome: str) -> str:
    from gradebook.ui.status import outcome_label as label

    return label(outcome)


@register.simple_tag
def new_idempotency_key() -> str:
    """A fresh key per rendered form: a double click or a resent form records one attempt."""
    import uuid

    return uuid.uuid4().hex
