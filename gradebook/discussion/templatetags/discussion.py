"""Template tags for the discussion: the thread on a lesson page, the unread-notification count."""

from __future__ import annotations

from typing import Any

from django import template

from gradebook.courses.rendering import render_user_markdown
from gradebook.discussion import services

register = template.Library()


@register.simple_tag(takes_context=True)
def lesson_threads(context: dict[str, Any], lesson: Any) -> list[services.Thread]:
    return services.threads(lesson, context["request"].user)


@register.simple_tag(takes_context=True)
def can_moderate(context: dict[str, Any], course: Any) -> bool:
    return services.is_moderator(context["request"].user, course)


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    return services.unread_count(request.user) if request is not None else 0


@register.filter
def comment_html(text: str) -> str:
    return render_user_markdown(text)
