"""What a student may see of an item: an allow-list over the spec, never the key.

Every student payload (lesson page, API) is built here, so "no answer, tolerance, mistakes,
rubric, model_answer in front of a student" is enforced in one place, by naming what may go
out rather than what must not. Placeholders (``{n}``) are filled with the student's own
variant and choices are shuffled with the student's own seed.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

import graders
from gradebook.courses.models import Item
from gradebook.ui.grader_messages import translate_message, translated

#: Keys copied as-is from an exercise spec: bounds the student's form needs, nothing graded.
_EXERCISE_KEYS = ("models", "reflection", "prompt", "settings")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_placeholders(text: str, params: dict[str, Any]) -> str:
    """Replace ``{name}`` with the student's value; unknown names are left as written."""
    if not params or not text:
        return text or ""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            return match.group(0)
        v = params[name]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v)

    return _PLACEHOLDER.sub(value, text)


def _choices(spec: dict[str, Any], seed: int, params: dict[str, Any]) -> list[dict[str, str]]:
    choices = [
        {"id": str(c.get("id", "")), "text": fill_placeholders(str(c.get("text", "")), params)}
        for c in spec.get("choices", []) or []
        if isinstance(c, dict)
    ]
    if spec.get("shuffle", True):
        random.Random(seed).shuffle(choices)
    return choices


def _input(
    spec: dict[str, Any], seed: int, params: dict[str, Any], grader_help: str = ""
) -> dict[str, Any]:
    """The input a (part of an) item needs: box kind, unit box, choices, length bounds."""
    kind = spec.get("type", "")
    out: dict[str, Any] = {"type": kind}
    if kind == "numeric":
        if spec.get("unit"):
            out["unit"] = str(spec["unit"])
            out["unit_required"] = bool(spec.get("unit_required", True))
    elif kind == "symbolic":
        out["variables"] = [str(v) for v in spec.get("variables", []) or []]
    elif kind == "multiple_choice":
        out["multiple"] = bool(spec.get("multiple", False))
        out["choices"] = _choices(spec, seed, params)
    elif kind == "matching":
        from graders.matching import options

        out["prompts"] = [
            {
                "id": str(p.get("id", "")),
                "text": fill_placeholders(str(p.get("prompt", "")), params),
            }
            for p in spec.get("pairs", []) or []
            if isinstance(p, dict)
        ]
        out["options"] = options(spec, seed)
    elif kind == "free_text":
        for key in ("min_chars", "max_chars"):
            if spec.get(key) is not None:
                out[key] = spec[key]
    if kind in ("numeric", "symbolic"):
        out["placeholder"] = _placeholder(spec, kind, params)
    helps = [fill_placeholders(str(spec["help"]), params)] if spec.get("help") else []
    if grader_help:
        helps.append(translate_message(grader_help))
    if helps:
        out["help"] = " ".join(helps)
    return out


def _placeholder(spec: dict[str, Any], kind: str, params: dict[str, Any]) -> str:
    """The answer box's grey text: the author's, else generic by type with no value in it.

    A sample value here once was the answer itself ("e.g. -ln(0.3)" on the cross-entropy
    item); generic words cannot be.
    """
    if spec.get("placeholder"):
        return fill_placeholders(str(spec["placeholder"]), params)
    if kind == "symbolic":
        names = [str(v) for v in spec.get("variables", []) or []]
        if names:
            return _("an expression in %(names)s") % {"names": ", ".join(names)}
        return _("an exact expression")
    if spec.get("expressions", True) is False:
        return _("a number")
    return _("a number or a calculation")


_SINGLE_BOX = frozenset({"numeric", "symbolic", "multiple_choice"})


def _grader_help(spec: dict[str, Any], part: Any = None) -> str:
    """The grader's own line for an answer box (tolerance rule, unit, form); never the key."""
    try:
        return graders.input_help(spec, part=str(part) if part is not None else None)
    except (graders.InvalidSpec, ValueError):
        return ""


def student_item(item: Item, *, params: dict[str, Any], seed: int) -> dict[str, Any]:
    """The student's view of ``item``: question, inputs, limits; no key or grading rules."""
    spec = item.spec or {}
    view: dict[str, Any] = {
        "id": item.pk,
        "key": item.key,
        "lesson": item.lesson_id,
        "title": item.title,
        "text": graders.render_text({"text": item.text or spec.get("text", "")}, params),
        "points": float(item.points),
        "max_attempts": item.max_attempts,
        "retry_penalty": item.retry_penalty,
        "params": dict(params),
        "reviewed": item.is_reviewed,
        **_input(
            {**spec, "type": item.type},
            seed,
            params,
            _grader_help(spec) if item.type in _SINGLE_BOX else "",
        ),
    }
    if item.type == "multipart":
        # Imported from a Moodle Cloze question: the page puts each part in its blank.
        view["cloze"] = bool(spec.get("x-cloze"))
        view["parts"] = [
            {
                "id": str(part.get("id", "")),
                "label": fill_placeholders(str(part.get("label", "")), params),
                "weight": part.get("weight", 1),
                **_input(part, seed + index, params, _grader_help(spec, part.get("id"))),
            }
            for index, part in enumerate(spec.get("parts", []) or [])
            if isinstance(part, dict)
        ]
    if item.type == "exercise":
        for key in _EXERCISE_KEYS:
            if key in spec:
                view[key] = spec[key]
        if spec.get("parts"):
            view["parts"] = [
                {
                    "id": str(p.get("id", "")),
                    "label": str(p.get("label", "")),
                    **_input(p, seed, params, _grader_help(spec, p.get("id"))),
                }
                for p in spec["parts"]
                if isinstance(p, dict)
            ]
    return view


def attempt_feedback(attempt: Any, *, item_done: bool) -> dict[str, Any]:
    """What a student sees of one of their attempts: the verdict, feedback, their reading.

    The grader's stored result is trimmed to student-safe fields; the item's ``explanation``
    (which usually states the answer) is shown only once the item is done (correct, or out
    of attempts).
    """
    result = attempt.result or {}
    interp = result.get("interpretation") or {}
    labels = {
        str(p.get("id")): fill_placeholders(str(p.get("label", "")), attempt.params or {})
        for p in (attempt.item.spec or {}).get("parts", []) or []
        if isinstance(p, dict)
    }
    parts = [
        {
            "id": p.get("id"),
            "label": labels.get(str(p.get("id")), ""),
            "outcome": p.get("outcome"),
            "score": p.get("score"),
            "correct": p.get("correct", False),
            "feedback": translate_message(p.get("feedback", "")),
            "interpretation": _safe_interp(p.get("interpretation")),
            "hints": translated(list(p.get("hints", []))),
            "carried_forward": bool(p.get("carried_forward")),
        }
        for p in result.get("parts", []) or []
    ]
    data: dict[str, Any] = {
        "id": attempt.pk,
        "item": attempt.item_id,
        "number": attempt.number,
        "status": attempt.status,
        "outcome": result.get("outcome", ""),
        "score": attempt.score,
        "auto_score": attempt.auto_score,
        "correct": attempt.correct,
        "feedback": translate_message(attempt.feedback),
        # A choice id or free text "read as" itself says nothing: only boxes show a reading.
        "interpretation": _safe_interp(interp)
        if interp and attempt.item.type in ("numeric", "symbolic")
        else None,
        "parts": parts,
        "hints": translated(list(result.get("hints", []))),
        "params": attempt.params,
        "response": attempt.response,
        "submitted_at": attempt.submitted_at,
        "explanation": None,
        "explanation_html": None,
    }
    if item_done:
        explanation = (attempt.item.spec or {}).get("explanation")
        if explanation:
            from gradebook.courses.rendering import render_markdown

            text = fill_placeholders(str(explanation), attempt.params or {})
            data["explanation"] = text
            data["explanation_html"] = str(render_markdown(text))
    return data


@dataclass(frozen=True)
class AnswerLine:
    """One answer (or one part's answer) as the student typed it, for every page that shows
    answers: ``label`` is the part's label ('' for a single answer), ``typed`` the text typed
    or the chosen options' texts, ``read_as`` the grader's reading when it differs from what
    was typed (``2*2`` read as ``4``), else ''."""

    label: str
    typed: str
    read_as: str = ""
    prose: bool = False  # written text (free text, a reflection), not a value or a choice


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _choice_text(spec: dict[str, Any], picked: Any, params: dict[str, Any]) -> str:
    texts = {
        str(c.get("id", "")): fill_placeholders(str(c.get("text", "")), params)
        for c in spec.get("choices", []) or []
        if isinstance(c, dict)
    }
    picks = picked if isinstance(picked, list) else [picked] if picked not in (None, "") else []
    return "; ".join(texts.get(str(p), str(p)) for p in picks)


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return "".join(s.replace("−", "-").replace("·", "*").replace("×", "*").split())

    return norm(a) == norm(b)


def _one_line(spec: dict[str, Any], label: str, value: Any, interp: Any, params: Any) -> AnswerLine:
    kind = spec.get("type", "")
    if kind == "multiple_choice":
        return AnswerLine(label, _choice_text(spec, value, params))
    typed = _plain(value)
    if kind == "free_text":
        return AnswerLine(label, typed, prose=True)
    reading = ""
    if isinstance(interp, dict) and interp.get("ok") and kind in ("numeric", "symbolic"):
        canonical = str(interp.get("canonical") or "")
        if canonical and not _same_text(canonical, typed):
            reading = canonical
    return AnswerLine(label, typed, reading)


def answer_lines(
    spec: dict[str, Any],
    response: Any,
    *,
    result: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> list[AnswerLine]:
    """An answer as people typed it: one line per part (its label), choices by their text.

    Never a raw dict, JSON or a choice id where the item says what they mean; the grader's
    reading is kept beside the typed text when the two differ.
    """
    spec = spec or {}
    params = params or {}
    result = result or {}
    kind = spec.get("type", "")
    if kind == "multipart" or (
        kind == "exercise" and spec.get("parts") and not _is_exercise(response)
    ):
        answers = response if isinstance(response, dict) else {}
        readings = {
            str(p.get("id")): p.get("interpretation")
            for p in result.get("parts", []) or []
            if isinstance(p, dict)
        }
        lines = []
        for part in spec.get("parts", []) or []:
            if not isinstance(part, dict):
                continue
            pid = str(part.get("id", ""))
            label = fill_placeholders(str(part.get("label") or pid), params)
            if pid in answers:
                lines.append(_one_line(part, label, answers[pid], readings.get(pid), params))
        return lines
    if kind == "matching":
        chosen = response if isinstance(response, dict) else {}
        return [
            AnswerLine(fill_placeholders(str(p.get("prompt", "")), params), _plain(chosen[p["id"]]))
            for p in spec.get("pairs", []) or []
            if isinstance(p, dict) and p.get("id") in chosen
        ]
    if kind == "exercise" or _is_exercise(response):
        data = response if isinstance(response, dict) else {"reflection": response}
        lines = []
        if data.get("prompt"):
            lines.append(AnswerLine(_("Prompt"), _plain(data["prompt"]), prose=True))
        if data.get("reflection"):
            lines.append(AnswerLine(_("Reflection"), _plain(data["reflection"]), prose=True))
        return lines
    return [_one_line(spec, "", response, result.get("interpretation"), params)]


def _is_exercise(response: Any) -> bool:
    return isinstance(response, dict) and ("prompt" in response or "reflection" in response)


def answer_text(
    spec: dict[str, Any],
    response: Any,
    *,
    result: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> str:
    """:func:`answer_lines` on one line, for table cells: ``label: typed (→ reading); ...``."""
    out = []
    for line in answer_lines(spec, response, result=result, params=params):
        text = line.typed + (f" → {line.read_as}" if line.read_as else "")
        out.append(f"{line.label}: {text}" if line.label else text)
    return "; ".join(out)


def attempt_answer_lines(attempt: Any, item: Any = None) -> list[AnswerLine]:
    item = item or attempt.item
    return answer_lines(
        item.spec or {}, attempt.response, result=attempt.result, params=attempt.params
    )


def _safe_interp(interp: dict[str, Any] | None) -> dict[str, Any] | None:
    if not interp:
        return None
    safe = {
        k: interp.get(k)
        for k in ("ok", "canonical", "latex", "mathml", "message", "position", "unit")
    }
    safe["message"] = translate_message(safe.get("message") or "")
    return safe
