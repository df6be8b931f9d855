"""Checking a student's exercise input against the item's spec (``docs/item-spec.md``).

Every refusal names the field (``prompt``, ``reflection``, ``settings.text.temperature``...)
and says what was wrong with the value, so the form and the API can point at it. Nothing
here touches the database: the service calls it before any write.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gradebook.refusals import Refusal
from gradebook.textsafety import bidi_message, first_bidi_control

DEFAULT_PROMPT_MAX = 500
DEFAULT_REFLECTION_MAX = 200
MAX_SEED = 2**31 - 1

#: Defaults and bounds used where an item's spec says nothing, and hard caps it cannot exceed.
DEFAULT_SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "text": {
        "max_new_tokens": {"default": 48, "min": 1, "max": 128, "cap": 512, "integer": True},
        "temperature": {"default": 0.7, "min": 0.0, "max": 1.5, "cap": 5.0},
        "top_p": {"default": 0.9, "min": 0.1, "max": 1.0, "cap": 1.0},
        "seed": {"default": None},
    },
    "image": {
        "steps": {"default": 10, "min": 1, "max": 30, "cap": 100, "integer": True},
        "guidance_scale": {"default": 5.0, "min": 0.0, "max": 12.0, "cap": 30.0},
        "size": {"default": 64, "choices": [64, 128]},
        "seed": {"default": None},
    },
}

LABELS = {
    "max_new_tokens": gettext_lazy("Max new tokens"),
    "temperature": gettext_lazy("Temperature"),
    "top_p": gettext_lazy("Top-p"),
    "seed": gettext_lazy("Seed"),
    "steps": gettext_lazy("Steps"),
    "guidance_scale": gettext_lazy("Guidance scale"),
    "size": gettext_lazy("Image size"),
}


class ExerciseInputError(Refusal):
    """The input was refused; ``errors`` maps each bad field to a message. Nothing was stored.

    The first error is the ``Refusal``'s message and field (None for the key "form": the
    form as a whole) for the API; HTML forms show every one of ``errors``.
    """

    def __init__(self, errors: dict[str, str], **refusal: Any) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(str(message), field=None if field == "form" else field, **refusal)
        self.errors = errors


@dataclass(frozen=True)
class CleanExercise:
    prompt: str
    reflection: str
    settings: dict[str, dict[str, Any]]  # kind -> name -> value, seeds chosen

    def response(self) -> dict[str, Any]:
        """What ``submit_answer`` stores in ``Attempt.response``."""
        return {"prompt": self.prompt, "reflection": self.reflection, "settings": self.settings}


def exercise_models(spec: dict[str, Any]) -> list[str]:
    models = spec.get("models") or ["text", "image"]
    return [kind for kind in ("text", "image") if kind in models]


def bounds_for(spec: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The spec's bounds for ``kind`` merged over the defaults, clamped to the hard caps."""
    merged: dict[str, dict[str, Any]] = {}
    spec_kind = (spec.get("settings") or {}).get(kind) or {}
    for name, default in DEFAULT_SETTINGS[kind].items():
        rule = {**default, **(spec_kind.get(name) or {})}
        if "cap" in default and rule.get("max") is not None:
            rule["max"] = min(rule["max"], default["cap"])
        merged[name] = rule
    return merged


def _text_limit(rules: dict[str, Any] | None, key: str, default: int | None) -> int | None:
    value = (rules or {}).get(key, default)
    return int(value) if value is not None else None


def clean_text(
    value: Any,
    *,
    field: str,
    label: str,
    max_chars: int | None,
    min_chars: int | None = None,
    required: bool,
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ExerciseInputError({field: _("%(label)s must be text.") % {"label": label}})
    text = value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ExerciseInputError(
            {field: _("%(label)s contains a NUL character; remove it.") % {"label": label}}
        )
    bidi = first_bidi_control(text)
    if bidi is not None:
        raise ExerciseInputError({field: bidi_message(label, *bidi)})
    if required and not text:
        raise ExerciseInputError(
            {field: _("%(label)s is empty: write something first.") % {"label": label}}
        )
    if max_chars is not None and len(text) > max_chars:
        raise ExerciseInputError(
            {
                field: _("%(label)s is %(n)d characters long; the limit is %(max)d.")
                % {"label": label, "n": len(text), "max": max_chars}
            }
        )
    if text and min_chars is not None and len(text) < min_chars:
        raise ExerciseInputError(
            {
                field: _("%(label)s is %(n)d characters long; write at least %(min)d.")
                % {"label": label, "n": len(text), "min": min_chars}
            }
        )
    return text


def _number(raw: Any, *, field: str, label: str, integer: bool) -> float | int:
    if isinstance(raw, bool):
        raise ExerciseInputError(
            {field: _("%(label)s must be a number, not %(raw)r.") % {"label": label, "raw": raw}}
        )
    if isinstance(raw, str):
        text = raw.strip()
        if "," in text:
            raise ExerciseInputError(
                {
                    field: _("%(label)s %(raw)r has a comma: use a point for decimals (0.7).")
                    % {"label": label, "raw": raw}
                }
            )
        try:
            raw = (
                float(text)
                if not integer
                else (int(text) if text.lstrip("-").isdigit() else float(text))
            )
        except ValueError:
            raise ExerciseInputError(
                {field: _("%(label)s %(raw)r is not a number.") % {"label": label, "raw": raw}}
            ) from None
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ExerciseInputError(
            {field: _("%(label)s %(raw)r is not a finite number.") % {"label": label, "raw": raw}}
        )
    if integer:
        if float(raw) != int(raw):
            raise ExerciseInputError(
                {
                    field: _("%(label)s must be a whole number, got %(raw)s.")
                    % {"label": label, "raw": raw}
                }
            )
        return int(raw)
    return float(raw)


def clean_setting(kind: str, name: str, raw: Any, rule: dict[str, Any]) -> Any:
    field = f"settings.{kind}.{name}"
    label = LABELS.get(name, name)
    if raw is None or raw == "":
        if name == "seed":
            return (
                rule.get("default")
                if rule.get("default") is not None
                else (secrets.randbelow(MAX_SEED))
            )
        return rule["default"]
    if name == "seed":
        seed = _number(raw, field=field, label=label, integer=True)
        if not 0 <= seed <= MAX_SEED:
            raise ExerciseInputError(
                {
                    field: _("Seed must be between 0 and %(max)s, got %(seed)s.")
                    % {"max": MAX_SEED, "seed": seed}
                }
            )
        return seed
    value = _number(
        raw, field=field, label=label, integer=bool(rule.get("integer")) or ("choices" in rule)
    )
    if "choices" in rule:
        if value not in rule["choices"]:
            choices = ", ".join(str(c) for c in rule["choices"])
            raise ExerciseInputError(
                {
                    field: _("%(label)s must be one of %(choices)s, got %(value)s.")
                    % {"label": label, "choices": choices, "value": value}
                }
            )
        return value
    low, high = rule.get("min"), rule.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ExerciseInputError(
            {
                field: _("%(label)s must be between %(low)s and %(high)s, got %(value)s.")
                % {"label": label, "low": low, "high": high, "value": value}
            }
        )
    return value


def clean_settings(spec: dict[str, Any], raw: Any) -> dict[str, dict[str, Any]]:
    """Validated settings per model kind the exercise runs; missing values take defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ExerciseInputError({"settings": 'Settings must be an object such as {"text": {}}.'})
    kinds = exercise_models(spec)
    unknown_kinds = set(raw) - set(kinds)
    if unknown_kinds:
        name = sorted(unknown_kinds)[0]
        raise ExerciseInputError(
            {f"settings.{name}": f"This exercise does not run a {name!r} model."}
        )
    cleaned: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        given = raw.get(kind) or {}
        if not isinstance(given, dict):
            raise ExerciseInputError({f"settings.{kind}": f"{kind} settings must be an object."})
        rules = bounds_for(spec, kind)
        unknown = set(given) - set(rules)
        if unknown:
            name = sorted(unknown)[0]
            raise ExerciseInputError(
                {
                    f"settings.{kind}.{name}": f"{name!r} is not one of the {kind} settings "
                    "you may change."
                }
            )
        cleaned[kind] = {
            name: clean_setting(kind, name, given.get(name), rule) for name, rule in rules.items()
        }
    return cleaned


def clean_exercise(
    spec: dict[str, Any], *, prompt: Any, reflection: Any, settings: Any
) -> CleanExercise:
    """Validate a whole submission; raises ``ExerciseInputError`` naming the first bad field."""
    prompt_text = clean_text(
        prompt,
        field="prompt",
        label=_("The prompt"),
        max_chars=_text_limit(spec.get("prompt"), "max_chars", DEFAULT_PROMPT_MAX),
        required=True,
    )
    # The grader refuses an exercise answer without its reflection when the spec sets rules
    # for one (graders._grade_exercise): ask for it here, with the field named, before any job.
    reflection_text = clean_reflection(spec, reflection, required=bool(spec.get("reflection")))
    return CleanExercise(prompt_text, reflection_text, clean_settings(spec, settings))


def clean_reflection(spec: dict[str, Any], reflection: Any, *, required: bool) -> str:
    rules = spec.get("reflection") or {}
    return clean_text(
        reflection,
        field="reflection",
        label=_("The reflection"),
        max_chars=_text_limit(rules, "max_chars", DEFAULT_REFLECTION_MAX),
        min_chars=_text_limit(rules, "min_chars", None),
        required=required,
    )
