"""Editing items in the browser: a form (or the item's YAML) in, a checked spec and a revision out.

The editor saves through the import's own code: the spec is checked by the bank validator
(``validate_document``: the schema, ``graders.validate_spec``, active HTML) on a one-item
document, and written by ``write_item_spec``, the function ``apply_plan`` uses, so an edit
is kept as a new ``ItemRevision`` exactly like an import's and the next export carries it.

The form edits the keys people change most (text, key, tolerance, unit, form, mistakes, hints,
choices, rubric, parts); every other key of the spec (params, carry_forward, extensions...) is
kept as it was. Anything else is edited in the YAML view, which shows the whole item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from gradebook.courses.bank.errors import BankInvalid, Path, format_path
from gradebook.courses.bank.exporting import dump_yaml, ordered
from gradebook.courses.bank.importing import write_item_spec
from gradebook.courses.bank.loading import Document, parse_yaml
from gradebook.courses.bank.validation import validate_document
from gradebook.courses.models import Course, Item, Lesson

#: Types the form edits; exercises (models, settings, reflection) are edited as YAML.
FORM_TYPES = ("numeric", "symbolic", "multiple_choice", "multipart", "free_text")
PART_TYPES = ("numeric", "symbolic", "multiple_choice", "free_text")
TOLERANCE_KINDS = ("relative", "absolute", "sig_figs", "decimal_places")
FORMS = ("any", "exact", "natural_log", "expanded", "factored", "simplified")
#: Blank rows offered under each list (mistakes, choices, rubric) for adding entries.
BLANK_ROWS = 2
_ITEM_PREFIX: Path = ("lessons", 0, "items", 0)
_PLAIN_NUMBER = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*\Z")


@dataclass(frozen=True)
class Problem:
    """A problem in an edited item; ``field`` is a path inside it (``parts[1].answer``)."""

    field: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "line": self.line}


@dataclass
class Check:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Starting points -------------------------------------------------------------------------


def starter_spec(kind: str, key: str = "") -> dict[str, Any]:
    """A new item of ``kind`` with the fields its type needs, for the "new item" form."""
    spec: dict[str, Any] = {"id": key, "type": kind, "title": "", "text": ""}
    if kind == "numeric" or kind == "symbolic":
        spec["answer"] = ""
    elif kind == "multiple_choice":
        spec["choices"] = [{"id": "a", "text": "", "correct": True}, {"id": "b", "text": ""}]
    elif kind == "multipart":
        spec["parts"] = [starter_part("numeric", "part1")]
    elif kind == "exercise":
        spec.update({"models": ["text", "image"], "reflection": {"max_chars": 200}})
    return spec


def starter_part(kind: str, pid: str) -> dict[str, Any]:
    part: dict[str, Any] = {"id": pid, "label": "", "type": kind}
    if kind in ("numeric", "symbolic"):
        part["answer"] = ""
    elif kind == "multiple_choice":
        part["choices"] = [{"id": "a", "text": "", "correct": True}, {"id": "b", "text": ""}]
    return part


# --- The form -> a spec ------------------------------------------------------------------------


def _number(text: str) -> Any:
    """A number as typed; text that is not one is kept so the validator can name the field."""
    text = (text or "").strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if _PLAIN_NUMBER.match(text):
        return float(text)
    return text


def _answer(text: str) -> Any:
    """A key as the bank writes it: a plain number stays a number, anything else an expression."""
    text = (text or "").strip()
    if _PLAIN_NUMBER.match(text):
        return _number(text)
    return text


def _put(target: dict[str, Any], key: str, value: Any, *, default: Any = None) -> None:
    """Set ``key``; remove it when empty. A default stays as the bank wrote it: implicit when
    it was left out, explicit (``correct: false``) when it was written, so saving an unchanged
    form changes nothing."""
    if value is None or (isinstance(value, str | list) and not value):
        target.pop(key, None)
    elif value == default and type(value) is type(default):
        if key in target and target[key] != default:
            target.pop(key)
    else:
        target[key] = value


def _put_text(target: dict[str, Any], key: str, value: str) -> None:
    """Set a text field, keeping the stored text when only its line endings or ends differ."""
    value = value.replace("\r\n", "\n")
    old = target.get(key)
    if isinstance(old, str) and old.strip() == value.strip():
        return
    _put(target, key, value.strip() + ("\n" if "\n" in value.strip() else ""))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _rows(data: Mapping[str, Any], prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Indexed rows ``{prefix}{j}-{name}`` posted by the form, in order, blank rows left out."""
    rows = []
    j = 0
    while any(f"{prefix}{j}-{n}" in data for n in names):
        row = {n: str(data.get(f"{prefix}{j}-{n}", "")).strip() for n in names}
        if any(v for n, v in row.items() if n not in ("correct",)):
            rows.append(row)
        j += 1
    return rows


def _mistakes(data: Mapping[str, Any], p: str, base: list[Any]) -> list[dict[str, Any]]:
    out = []
    for index, row in enumerate(_rows(data, f"{p}m", ("answer", "feedback", "tag"))):
        old = base[index] if index < len(base) and isinstance(base[index], dict) else {}
        entry = dict(old)
        entry["answer"] = _same_or(old.get("answer"), _answer(row["answer"]))
        _put_text(entry, "feedback", row["feedback"])
        _put(entry, "tag", row["tag"])
        out.append(entry)
    return out


def _same_or(old: Any, new: Any) -> Any:
    """``new``, unless it is ``old`` written another way (``4`` and ``4.0``, ``"4"`` and 4)."""
    if isinstance(old, int | float) and isinstance(new, int | float) and old == new:
        return old
    if isinstance(old, str) and isinstance(new, int | float) and _text(new) == old.strip():
        return old
    return new


def _choices(data: Mapping[str, Any], p: str, base: list[Any]) -> list[dict[str, Any]]:
    by_id = {str(c.get("id")): c for c in base if isinstance(c, dict)}
    out = []
    for row in _rows(data, f"{p}c", ("id", "text", "correct", "feedback", "tag")):
        entry = dict(by_id.get(row["id"], {}))
        entry["id"] = row["id"]
        _put_text(entry, "text", row["text"])
        entry.setdefault("text", "")
        _put(entry, "correct", bool(row["correct"]), default=False)
        _put_text(entry, "feedback", row["feedback"])
        _put(entry, "tag", row["tag"])
        out.append(entry)
    return out


def _rubric(data: Mapping[str, Any], p: str, base: list[Any]) -> list[dict[str, Any]]:
    by_id = {str(c.get("id")): c for c in base if isinstance(c, dict)}
    out = []
    for row in _rows(data, f"{p}r", ("id", "criterion", "points", "description")):
        entry = dict(by_id.get(row["id"], {}))
        entry["id"] = row["id"]
        _put_text(entry, "criterion", row["criterion"])
        entry["points"] = _same_or(entry.get("points"), _number(row["points"]))
        _put_text(entry, "description", row["description"])
        out.append(entry)
    return out


def _unit_fields(data: Mapping[str, Any], p: str, kind: str, unit: dict[str, Any]) -> None:
    """Apply one answer box's fields (the item's, or a part's) onto ``unit`` in place."""
    has = data.__contains__

    def text(name: str) -> str:
        return str(data.get(p + name, ""))

    def number(name: str, default: Any = None) -> None:
        _put(unit, name, _same_or(unit.get(name), _number(text(name))), default=default)

    for name in ("help", "placeholder"):
        if has(p + name):
            _put_text(unit, name, text(name))
    if has(p + "hints"):
        hints = _lines(text("hints"))
        if [h.strip() for h in unit.get("hints") or []] != hints:
            _put(unit, "hints", hints)
    if kind in ("numeric", "symbolic") and has(p + "answer"):
        unit["answer"] = _same_or(unit.get("answer"), _answer(text("answer")))
        if has(p + "m0-answer"):
            _put(unit, "mistakes", _mistakes(data, p, list(unit.get("mistakes") or [])))
    if kind == "numeric" and has(p + "tol_kind"):
        _put(unit, "unit", text("unit").strip())
        if unit.get("unit"):
            _put(unit, "unit_required", bool(data.get(p + "unit_required")), default=True)
        else:
            unit.pop("unit_required", None)
        _put(unit, "expressions", bool(data.get(p + "expressions")), default=True)
        tol_kind, tol_value = text("tol_kind"), _number(text("tol_value"))
        if tol_kind in TOLERANCE_KINDS and tol_value is not None:
            old = unit.get("tolerance") if isinstance(unit.get("tolerance"), dict) else {}
            tolerance: dict[str, Any] = {tol_kind: _same_or(old.get(tol_kind), tol_value)}
            if tol_kind in ("sig_figs", "decimal_places"):
                if data.get(p + "tol_typed"):
                    tolerance["mode"] = "typed"
                elif old.get("mode") == "band":
                    tolerance["mode"] = "band"
            unit["tolerance"] = tolerance
        else:
            unit.pop("tolerance", None)
    if kind == "symbolic" and has(p + "form"):
        names = [v for v in re.split(r"[\s,]+", text("variables")) if v]
        if names != list(unit.get("variables") or []):
            _put(unit, "variables", names)
        _put(unit, "form", text("form"), default="any")
        _put(unit, "log_base", text("log_base"), default="e")
    if kind == "multiple_choice" and has(p + "c0-id"):
        unit["choices"] = _choices(data, p, list(unit.get("choices") or []))
        _put(unit, "multiple", bool(data.get(p + "multiple")), default=False)
        _put(unit, "shuffle", bool(data.get(p + "shuffle")), default=True)
    if kind == "free_text" and has(p + "min_chars"):
        number("min_chars")
        number("max_chars")
        _put_text(unit, "model_answer", text("model_answer"))
        if has(p + "r0-id"):
            _put(unit, "rubric", _rubric(data, p, list(unit.get("rubric") or [])))


def spec_from_form(base: dict[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The spec the form describes, on top of ``base`` (keys the form does not show are kept)."""
    spec = copy.deepcopy(base)
    kind = str(spec.get("type", ""))
    if "id" in data:
        spec["id"] = str(data.get("id", "")).strip()
    if "text" in data:
        _put_text(spec, "text", str(data.get("text", "")))
        spec.setdefault("text", "")
    for name in ("title", "explanation"):
        if name in data:
            _put_text(spec, name, str(data.get(name, "")))
    for name, default in (("points", 1), ("max_attempts", None), ("retry_penalty", 0)):
        if name in data:
            value = _same_or(spec.get(name), _number(str(data.get(name, ""))))
            _put(spec, name, value, default=default)
    if kind == "multipart":
        _unit_fields(data, "", "", spec)
        old_parts = [p for p in spec.get("parts", []) if isinstance(p, dict)]
        parts = []
        i = 0
        while f"p{i}-type" in data:
            p = f"p{i}-"
            origin = _number(str(data.get(p + "origin", "")))
            part = (
                copy.deepcopy(old_parts[origin])
                if isinstance(origin, int) and 0 <= origin < len(old_parts)
                else {"type": str(data.get(p + "type", ""))}
            )
            if not data.get(p + "remove"):
                part["id"] = str(data.get(p + "id", "")).strip()
                part["type"] = str(data.get(p + "type", ""))
                _put_text(part, "label", str(data.get(p + "label", "")))
                weight = _same_or(part.get("weight"), _number(str(data.get(p + "weight", ""))))
                _put(part, "weight", weight, default=1)
                _unit_fields(data, p, part["type"], part)
                parts.append(part)
            i += 1
        if i:
            spec["parts"] = parts
    else:
        _unit_fields(data, "", kind, spec)
    return spec


def add_part(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    """``spec`` with a new blank part of ``kind`` at the end (the form's "Add a part")."""
    spec = copy.deepcopy(spec)
    parts = spec.setdefault("parts", [])
    taken = {str(p.get("id")) for p in parts if isinstance(p, dict)}
    n = len(parts) + 1
    while f"part{n}" in taken:
        n += 1
    parts.append(starter_part(kind if kind in PART_TYPES else "numeric", f"part{n}"))
    return spec


# --- A spec -> what the form shows --------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)  # 4.0 stays "4.0": saving the form unchanged keeps the spec as is
    return str(value)


def _blank_rows(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    return rows + [dict.fromkeys(names, "") for _ in range(BLANK_ROWS)]


def form_unit(spec: dict[str, Any], prefix: str, kind: str) -> dict[str, Any]:
    """One answer box's fields as the form shows them (the item's own, or a part's)."""
    tolerance = spec.get("tolerance") if isinstance(spec.get("tolerance"), dict) else {}
    tol_kind = next((k for k in TOLERANCE_KINDS if k in tolerance), "")
    plain = ("id", "label", "weight", "answer", "help", "placeholder", "unit", "min_chars")
    unit: dict[str, Any] = {name: _text(spec.get(name)) for name in plain}
    unit |= {
        "prefix": prefix,
        "type": kind,
        "hints": "\n".join(str(h) for h in spec.get("hints") or []),
        "unit_required": spec.get("unit_required", True) is not False,
        "expressions": spec.get("expressions", True) is not False,
        "tol_kind": tol_kind,
        "tol_value": _text(tolerance.get(tol_kind)) if tol_kind else "",
        "tol_typed": tolerance.get("mode") == "typed",
        "variables": ", ".join(str(v) for v in spec.get("variables") or []),
        "form": _text(spec.get("form")) or "any",
        "log_base": _text(spec.get("log_base")) or "e",
        "multiple": bool(spec.get("multiple")),
        "shuffle": spec.get("shuffle", True) is not False,
        "max_chars": _text(spec.get("max_chars")),
        "model_answer": _text(spec.get("model_answer")),
    }
    unit["mistakes"] = _blank_rows(
        [
            {
                "answer": _text(m.get("answer")),
                "feedback": _text(m.get("feedback")),
                "tag": _text(m.get("tag")),
            }
            for m in spec.get("mistakes") or []
            if isinstance(m, dict)
        ],
        ("answer", "feedback", "tag"),
    )
    unit["choices"] = _blank_rows(
        [
            {
                "id": _text(c.get("id")),
                "text": _text(c.get("text")),
                "correct": bool(c.get("correct")),
                "feedback": _text(c.get("feedback")),
                "tag": _text(c.get("tag")),
            }
            for c in spec.get("choices") or []
            if isinstance(c, dict)
        ],
        ("id", "text", "correct", "feedback", "tag"),
    )
    unit["rubric"] = _blank_rows(
        [
            {
                "id": _text(r.get("id")),
                "criterion": _text(r.get("criterion")),
                "points": _text(r.get("points")),
                "description": _text(r.get("description")),
            }
            for r in spec.get("rubric") or []
            if isinstance(r, dict)
        ],
        ("id", "criterion", "points", "description"),
    )
    return unit


def form_view(spec: dict[str, Any]) -> dict[str, Any]:
    """Everything the editor form shows for ``spec``: item fields, its box or its parts."""
    kind = str(spec.get("type", ""))
    fields = ("id", "title", "text", "points", "max_attempts", "retry_penalty", "explanation")
    view: dict[str, Any] = {name: _text(spec.get(name)) for name in fields}
    view.update(type=kind, unit=form_unit(spec, "", kind), parts=[])
    if kind == "multipart":
        view["parts"] = [
            {**form_unit(part, f"p{index}-", str(part.get("type", ""))), "origin": index}
            for index, part in enumerate(spec.get("parts") or [])
            if isinstance(part, dict)
        ]
    return view


# --- YAML ----------------------------------------------------------------------------------------


def item_yaml(spec: dict[str, Any]) -> str:
    """The item as the bank file writes it (the YAML view)."""
    return dump_yaml(ordered(spec))


def spec_from_yaml(text: str) -> tuple[dict[str, Any] | None, Document | None, list[Problem]]:
    """Parse the YAML view: (spec, its document with line numbers, problems)."""
    try:
        doc = parse_yaml(text, "item.yaml")
    except BankInvalid as exc:
        return None, None, [Problem(e.field, e.message, e.line) for e in exc.errors]
    if not isinstance(doc.data, dict):
        return None, doc, [Problem("", _("the item must be a mapping (key: value lines)"), 1)]
    return doc.data, doc, []


# --- Checking and saving --------------------------------------------------------------------


def _document(
    spec: dict[str, Any], course: Course, lesson: Lesson, item_doc: Document | None
) -> Document:
    data = {
        "format": 1,
        "course": course.slug,
        "title": course.title,
        "lessons": [{"slug": lesson.slug, "title": lesson.title, "items": [spec]}],
    }
    positions = {}
    if item_doc is not None:
        positions = {(*_ITEM_PREFIX, *path): where for path, where in item_doc.positions.items()}
    return Document(filename="item", data=data, positions=positions)


def _inside_item(field_path: str) -> str:
    prefix = format_path(_ITEM_PREFIX)
    if field_path == prefix:
        return ""
    return field_path.removeprefix(prefix + ".").removeprefix(prefix)


_ITEM_NOTE = re.compile(r"^\(item [^)]*\) ")


def check_spec(
    spec: dict[str, Any],
    *,
    course: Course,
    lesson: Lesson,
    item: Item | None = None,
    item_doc: Document | None = None,
) -> Check:
    """Every problem the bank import would find in ``spec``, plus the editor's own rules.

    Errors stop a save; warnings (a help text that gives the answer away) do not.
    """
    from gradebook.courses.bank.giveaways import giveaways

    check = Check()
    doc = _document(spec, course, lesson, item_doc)
    for error in validate_document(doc):
        check.errors.append(
            Problem(_inside_item(error.field), _ITEM_NOTE.sub("", error.message), error.line)
        )
    key = spec.get("id")
    if item is None:
        if isinstance(key, str) and key and Item.objects.filter(course=course, key=key).exists():
            check.errors.append(
                Problem(
                    "id",
                    _("the course already has an item '%(key)s': choose another id") % {"key": key},
                )
            )
    else:
        if key != item.key:
            check.errors.append(
                Problem(
                    "id",
                    _(
                        "the id cannot change (it is '%(key)s'): answers and exports find the "
                        "item by it; create a new item instead"
                    )
                    % {"key": item.key},
                )
            )
        if spec.get("type") != item.type and item.attempts.exists():
            check.errors.append(
                Problem(
                    "type",
                    _(
                        "this item has answers as a %(type)s item; create a new item to change "
                        "its type"
                    )
                    % {"type": item.type},
                )
            )
    if check.ok:
        for path, message in giveaways(spec):
            check.warnings.append(
                Problem(format_path(path), message, doc.line_of((*_ITEM_PREFIX, *path)))
            )
    return check


@transaction.atomic
def save_item(
    *,
    course: Course,
    lesson: Lesson,
    spec: dict[str, Any],
    by: Any,
    item: Item | None = None,
) -> tuple[Item, bool]:
    """Write a checked spec as a new revision (or a new item). Returns (item, changed).

    Call ``check_spec`` first: this trusts the spec.
    """
    note = f"edited in the browser by {by.get_username()}" if by is not None else "edited"
    if item is None:
        last = lesson.items.aggregate(m=Max("order"))["m"]
        item = Item(
            course=course, lesson=lesson, key=spec["id"], order=0 if last is None else last + 1
        )
    return item, write_item_spec(item, spec, by=by, note=note)
