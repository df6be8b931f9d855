"""Export: a course back to the bank format, so import -> export -> import changes nothing.

Only what students currently see is exported (retired lessons and items stay in the database
with their history but are not part of the bank any more). Keys are written in a fixed,
readable order whatever order the database returns them in (PostgreSQL's jsonb reorders keys).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from gradebook.courses.bank.importing import LESSON_DEFAULTS
from gradebook.courses.bank.loading import (
    _BOOL_RE,
    _FLOAT_RE,
    _INT_RE,
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
)
from gradebook.courses.models import Course

FORMAT_VERSION = 1

# Readable order for item and part keys; anything else follows alphabetically.
KEY_ORDER = [
    "id", "slug", "label", "term", "type", "title", "text", "criterion", "definition", "formula",
    "correct", "points", "weight", "max_attempts", "retry_penalty", "params", "range", "step",
    "choices", "answer", "unit", "unit_required", "tolerance", "expressions", "variables", "form",
    "log_base", "multiple", "shuffle", "parts", "carry_forward", "dual_form", "models", "prompt",
    "settings", "reflection", "rubric", "model_answer", "min_chars", "max_chars", "description",
    "feedback", "tag", "mistakes", "hints", "explanation", "help", "placeholder", "tags",
]  # fmt: skip
_RANK = {key: index for index, key in enumerate(KEY_ORDER)}


def ordered(value: Any) -> Any:
    """A copy of ``value`` with every dict's keys in :data:`KEY_ORDER`."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_RANK.get(k, len(_RANK)), k))
        return {k: ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


def course_to_bank(course: Course) -> dict[str, Any]:
    """The bank-format data of one course (active lessons and items only)."""
    data: dict[str, Any] = {"format": FORMAT_VERSION, "course": course.slug, "title": course.title}
    if course.description:
        data["description"] = course.description
    data["language"] = course.language
    data.update(course.meta or {})
    items_by_lesson: dict[int, list[dict[str, Any]]] = {}
    for item in course.items.filter(retired_at__isnull=True).order_by("order", "id"):
        items_by_lesson.setdefault(item.lesson_id, []).append(ordered(item.spec))
    lessons = []
    for lesson in course.active_lessons():
        entry: dict[str, Any] = {"slug": lesson.slug, "order": lesson.order, "title": lesson.title}
        for name, default in LESSON_DEFAULTS.items():
            value = getattr(lesson, name)
            if value != default:
                entry[name] = ordered(value)
        if lesson.language != course.language:
            entry["language"] = lesson.language
        entry["items"] = items_by_lesson.get(lesson.pk, [])
        lessons.append(entry)
    data["lessons"] = lessons
    return data


# --- YAML out ------------------------------------------------------------------------------


class BankYamlDumper(yaml.SafeDumper):
    """Quotes every string that YAML 1.1 *or* 1.2 would read as something else.

    PyYAML resolves with YAML 1.1 rules (so it quotes ``yes`` and ``2023-01-01``); the bank
    loader uses YAML 1.2's (where ``1e-9`` is a number). Adding the 1.2 patterns here means
    a string such as ``"1e3"`` is quoted too, and any YAML reader gets the same values back.
    """

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key (the style used in the docs and sample bank).
        super().increase_indent(flow, False)


for _tag, _regexp, _first in (
    (BOOL_TAG, _BOOL_RE, "tTfF"),
    (INT_TAG, _INT_RE, "-+0123456789"),
    (FLOAT_TAG, _FLOAT_RE, "-+.0123456789"),
):
    BankYamlDumper.add_implicit_resolver(_tag, _regexp, list(_first))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


BankYamlDumper.add_representer(str, _represent_str)


def dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=BankYamlDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )


def dump_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def export_course(course: Course, *, fmt: str = "yaml") -> str:
    """The course as bank-file text (``fmt`` is ``yaml`` or ``json``)."""
    data = course_to_bank(course)
    if fmt == "yaml":
        return dump_yaml(data)
    if fmt == "json":
        return dump_json(data)
    raise ValueError(f"unknown export format {fmt!r}: use yaml or json")
