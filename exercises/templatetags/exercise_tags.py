"""Template helpers for exercise forms and outputs (the lesson page and review pages use them)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

TOKEN_SHOWN = {"\n": "⏎", "\t": "⇥", " ": "␣"}


@register.simple_tag(takes_context=True)
def exercise_panel(context: Any, item: Any) -> dict[str, Any]:
    """What the exercise partial needs: the item, its bounds, and the user's last submission."""
    from exercises.access import latest_submission
    from exercises.services import queue_state
    from exercises.validation import bounds_for, exercise_models
    from gradebook.courses.models import Item

    item_id = item.get("id") if isinstance(item, dict) else getattr(item, "pk", item)
    model = Item.objects.filter(pk=item_id).first()
    if model is None:
        return {}
    user = context.get("user") or getattr(context.get("request"), "user", None)
    return {
        "item": model,
        "bounds": {kind: bounds_for(model.spec, kind) for kind in exercise_models(model.spec)},
        "latest": latest_submission(user, model.pk) if user is not None else None,
        "prompt_max": (model.spec.get("prompt") or {}).get("max_chars", 500),
        "reflection": model.spec.get("reflection") or {},
        # Said before the student writes a prompt, not only after the submit is refused.
        "queue_full": queue_state(course_id=model.course_id),
    }


@register.filter
def setting_label(name: str) -> str:
    from exercises.validation import LABELS

    return LABELS.get(name, name)


@register.filter
def percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def shown_token(token: str) -> str:
    """A token as a student can see it: whitespace-only tokens get a visible symbol."""
    if token and not token.strip():
        return "".join(TOKEN_SHOWN.get(ch, ch) for ch in token)
    return token


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def course_image_model() -> bool:
    """Whether IMAGE_MODEL is the course model (then prompts are checked against its words)."""
    from django.conf import settings

    from exercises.imageworld.vocabulary import is_course_model

    return is_course_model(settings.IMAGE_MODEL)


@register.filter
def prompt_words(prompt: str) -> list[Any]:
    """The prompt's words, each flagged known or unknown to the course image model."""
    from exercises.imageworld.vocabulary import mark_prompt

    return mark_prompt(prompt or "")


@register.simple_tag(takes_context=True)
def rerun_panel(context: Any, submission: Any) -> list[dict[str, Any]]:
    """Each finished job of ``submission`` with its re-runs and whether the viewer may ask one."""
    from exercises.models import JobStatus
    from exercises.reruns import may_rerun

    user = context.get("user") or getattr(context.get("request"), "user", None)
    rows = []
    for job in submission.jobs.all():
        if job.status != JobStatus.SUCCEEDED:
            continue
        rows.append(
            {
                "job": job,
                "reruns": list(job.reruns.all()[:5]),
                "may_rerun": may_rerun(user, job),
            }
        )
    return rows
