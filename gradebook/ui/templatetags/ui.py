"""Tags every page uses: icons, status marks, answers as typed, who may see the teachers' links.

``{% load ui %}`` then ``{% icon "check" _("Done") %}``, ``{% attempt_status attempt %}``,
``{% answer_lines attempt as lines %}``, ``{{ attempt|answer_text }}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from gradebook.ui import icons, status

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    return icons.svg_icon(name, label)


@register.simple_tag
def achievement_icon(code: str, label: str = "") -> SafeString:
    return icons.svg_icon(icons.achievement_icon_name(code), label)


@register.filter
def is_teacher(user: Any) -> bool:
    from gradebook.accounts.roles import is_teacher as check

    return bool(getattr(user, "is_authenticated", False)) and check(user)


@register.simple_tag
def attempt_status(attempt: Any) -> SafeString:
    """The student-facing verdict of an attempt as icon and words (never red for "waiting")."""
    mark = status.student_mark(attempt)
    return format_html(
        '<span class="status {}" data-mark="{}">{} {}</span>',
        mark.tone,
        mark.code,
        icons.svg_icon(mark.icon),
        mark.label,
    )


@register.simple_tag
def teacher_state(attempt: Any) -> SafeString:
    """Where an attempt stands for a teacher: awaiting review, draft, returned, overridden..."""
    state = status.teacher_state(attempt)
    return format_html(
        '<span class="pill state state-{}" data-state="{}">{}</span>',
        state,
        state,
        status.TEACHER_STATE_LABELS[state](),
    )


@register.simple_tag
def answer_lines(attempt: Any, item: Any = None) -> list[Any]:
    from gradebook.quizzes.presentation import attempt_answer_lines

    return attempt_answer_lines(attempt, item)


@register.filter
def answer_text(attempt: Any, item: Any = None) -> str:
    """An attempt's answer on one line, as typed (for table cells: clip it, title the full)."""
    from gradebook.quizzes.presentation import answer_text as text

    item = item or attempt.item
    return text(item.spec or {}, attempt.response, result=attempt.result, params=attempt.params)


@register.filter
def grader_text(text: Any) -> str:
    """A message from the grader in the page's language (English stays as the fallback)."""
    from gradebook.ui.grader_messages import translate_message

    return translate_message(str(text or ""))


@register.filter
def part_class(part: Any) -> str:
    """ok, partial, no, review (neutral: waiting for a teacher) or skip, for a part's verdict."""
    return status.part_mark(part)
