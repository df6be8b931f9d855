"""Template filters over :mod:`gradebook.courses.rendering`.

``{% load rendering %}`` then ``{{ lesson.body|markdown }}``, ``{{ fact.formula|math }}`` or
``{{ fact.formula|display_math }}``.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from gradebook.courses.rendering import render_markdown, render_math

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    return render_markdown(text or "")


@register.filter(name="math")
def math_filter(latex: str | None) -> SafeString:
    return render_math(latex or "")


@register.filter(name="display_math")
def display_math_filter(latex: str | None) -> SafeString:
    return render_math(latex or "", display=True)
