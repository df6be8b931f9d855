"""Read-side helpers shared by the lesson page and the API: item and attempt payloads.

Both the HTML and the JSON views show the same thing for an item (the student's variant,
attempts left, the last verdict), so it is assembled here once.
"""

from __future__ import annotations

from typing import Any

from gradebook.courses.models import Item, Lesson
from gradebook.progress.services import ItemState, item_states
from gradebook.quizzes import presentation, run_values, services
from gradebook.quizzes.models import Attempt


def state_dict(item: Item, state: ItemState) -> dict[str, Any]:
    left = None if not item.max_attempts else max(item.max_attempts - state.attempts, 0)
    return {
        "attempts": state.attempts,
        "attempts_left": left,
        "correct": state.correct,
        "done": state.done(item.type, item.max_attempts),
        "pending_review": state.pending_review,
        "best_score": state.best_score,
    }


def item_payload(user: Any, item: Item, state: ItemState | None = None) -> dict[str, Any]:
    params, run = services.params_and_run(user, item)
    if isinstance(run, run_values.NoRun):  # no numbers to ask about yet: none made up
        params = {name: "…" for name in params}
    data = presentation.student_item(item, params=params, seed=services.variant_seed(user, item))
    if "from_run" in (item.spec or {}):
        data.update(_run_payload(run))
    if state is None:
        state = item_states(user, [item.pk]).get(item.pk, ItemState())
    data["state"] = state_dict(item, state)
    data["anchor"] = f"item-{item.pk}"
    return data


def _run_payload(run: Any) -> dict[str, Any]:
    """A "your run" item's own values beside the question, or what to do to get them."""
    if isinstance(run, run_values.RunValues):
        return {
            "run": {
                "shown": [{"label": str(label), "value": value} for label, value in run.shown],
                "url": run.url,
                "when": run.when.isoformat() if run.when else None,
            },
            "needs_run": None,
        }
    if isinstance(run, run_values.NoRun):
        return {"run": None, "needs_run": {"exercise": run.exercise_title, "url": run.url}}
    return {"run": None, "needs_run": None}


def lesson_items_payload(user: Any, lesson: Lesson) -> list[dict[str, Any]]:
    """Every active item of ``lesson`` for ``user``, with state and the last attempt."""
    items = list(lesson.active_items().select_related("course", "lesson"))
    states = item_states(user, [i.pk for i in items])
    last: dict[int, Attempt] = {}
    for attempt in Attempt.objects.filter(student=user, item__in=items).order_by(
        "item_id", "-number"
    ):
        last.setdefault(attempt.item_id, attempt)
    payload = []
    for item in items:
        state = states.get(item.pk, ItemState())
        data = item_payload(user, item, state)
        attempt = last.get(item.pk)
        if attempt is not None:
            attempt.item = item
            data["last_attempt"] = presentation.attempt_feedback(
                attempt, item_done=data["state"]["done"]
            )
        else:
            data["last_attempt"] = None
        payload.append(data)
    return payload


def attempt_payload(user: Any, item: Item, attempt: Attempt) -> dict[str, Any]:
    """An attempt as its student sees it, with the item's state after it and any awards."""
    state = getattr(attempt, "item_state", None)  # submit_answer knows it already
    if state is None:
        state = item_states(attempt.student_id, [item.pk]).get(item.pk, ItemState())
    sd = state_dict(item, state)
    data = presentation.attempt_feedback(attempt, item_done=sd["done"])
    data["state"] = sd
    data["awards"] = [a.to_dict() for a in getattr(attempt, "awards", None) or []]
    return data
