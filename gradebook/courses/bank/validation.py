"""Checking a parsed bank: structure (JSON Schema), ids, active HTML, and every item's spec.

All problems are collected (up to :data:`MAX_ERRORS`) so a teacher fixes a file in one pass.
Nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path as FsPath
from typing import Any

import fastjsonschema
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for

from gradebook.courses.bank.errors import BankError, Path, format_path, parse_path
from gradebook.courses.bank.loading import Document

SCHEMA_PATH = FsPath(__file__).with_name("bank.schema.json")
MAX_ERRORS = 200

# Content that would run in a student's browser. Harmless HTML (<sub>, <br>, <kbd>) is stored
# and rendered through the sanitiser; this is refused at import unless allow_active_html is
# set, because a bank carrying it is a mistake or an attack, and silently dropping it at render
# time would hide that from the author.
ACTIVE_HTML = re.compile(
    r"<\s*/?\s*(?:script|iframe|frame|object|embed|applet|style|link|meta|base|form|svg)\b"
    r"|<[^>]*\bon[a-z]+\s*="
    r"|(?:javascript|vbscript)\s*:"
    r"|data\s*:\s*text/html",
    re.IGNORECASE,
)


def active_html_in(text: str) -> str | None:
    """The first piece of active HTML in ``text`` (what the importer refuses), or ``None``.
    Anything else that stores text the bank export writes out uses this same rule."""
    match = ACTIVE_HTML.search(text)
    return match.group(0).strip() if match else None


@cache
def bank_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def _validator() -> Any:
    """jsonschema's validator: slow, but lists every error with its path."""
    schema = bank_schema()
    return validator_for(schema)(schema)


@cache
def _fast_check() -> Callable[[Any], Any]:
    """The same schema compiled to Python by fastjsonschema: ~8x faster on a 10,000-item bank,
    but it stops at the first error, so a failure is re-checked with jsonschema for the list."""
    return fastjsonschema.compile(bank_schema())  # type: ignore[no-any-return]


def schema_errors(doc: Document) -> list[BankError]:
    try:
        _fast_check()(doc.data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    errors = [_schema_error(doc, e) for e in _validator().iter_errors(doc.data)]
    errors.sort(key=lambda e: (e.line or 0, e.field))
    return errors


def validate_document(
    doc: Document,
    *,
    allow_active_html: bool = False,
    on_item: Callable[[], None] | None = None,
) -> list[BankError]:
    """Every problem in ``doc``, each naming file, line and field; empty when it is valid."""
    errors = schema_errors(doc)
    if errors:
        # The item checks below assume the structure is right; report structure first.
        return errors[:MAX_ERRORS]
    errors.extend(_duplicate_ids(doc))
    errors.extend(_run_references(doc))
    if not allow_active_html:
        errors.extend(_active_html(doc))
    for path, item in iter_items(doc.data):
        for spec_path, message in grader_errors(item):
            errors.append(_with_item(doc, (*path, *spec_path), item, message))
        if on_item is not None:
            on_item()
        if len(errors) >= MAX_ERRORS:
            break
    return errors[:MAX_ERRORS]


def key_warnings(doc: Document) -> list[BankError]:
    """Help texts, placeholders and hints that hold the answer, each with file and line.

    Warnings, not errors: the import goes ahead. Run on a valid document only.
    """
    from gradebook.courses.bank.giveaways import giveaways

    warnings = []
    for path, item in iter_items(doc.data):
        for spec_path, message in giveaways(item):
            warnings.append(_with_item(doc, (*path, *spec_path), item, message))
    return warnings


def iter_items(data: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    for li, lesson in enumerate(data.get("lessons", [])):
        for ii, item in enumerate(lesson.get("items", [])):
            yield ("lessons", li, "items", ii), item


def count_items(data: Any) -> int:
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), list):
        return 0
    return sum(
        len(lesson.get("items", []))
        for lesson in data["lessons"]
        if isinstance(lesson, dict) and isinstance(lesson.get("items"), list)
    )


def grader_errors(spec: dict[str, Any]) -> list[tuple[Path, str]]:
    """``graders.validate_spec`` on one item, as (path inside the item, message) pairs.

    Accepts both shapes the library may use: a returned list of ``SpecError(path, message)``
    or an exception carrying them.
    """
    from graders import validate_spec

    try:
        found = validate_spec(spec)
    except Exception as exc:
        found = getattr(exc, "errors", None) or [exc]
    out: list[tuple[Path, str]] = []
    for error in found or []:
        path = getattr(error, "path", "") or ""
        message = getattr(error, "message", None) or str(error)
        out.append((parse_path(path) if isinstance(path, str) else tuple(path), message))
    return out


def _with_item(doc: Document, path: Path, item: dict[str, Any], message: str) -> BankError:
    error = doc.error(path, message)
    item_id = item.get("id")
    if item_id and doc.names_questions and item.get("title"):
        return BankError(
            error.filename,
            error.line,
            error.field,
            f"(question {item['title']!r}, item {item_id}) {message}",
            error.column,
        )
    if item_id:
        return BankError(
            error.filename, error.line, error.field, f"(item {item_id}) {message}", error.column
        )
    return error


def _schema_error(doc: Document, error: ValidationError) -> BankError:
    path: Path = tuple(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        name = missing[0] if missing else "?"
        line = doc.line_of(path)
        message = f"missing required field {name!r}"
        item_type = error.instance.get("type")
        if name in {"answer", "choices", "parts", "models"} and isinstance(item_type, str):
            message += f" (an item of type {item_type} needs its answer key in {name!r})"
        return BankError(doc.filename, line, format_path((*path, name)), message)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed and not str(k).startswith("x-")] or [
            "?"
        ]
        return doc.error(
            (*path, extra[0]),
            f"unknown field {extra[0]!r}; allowed here: {', '.join(sorted(allowed))} "
            "(or an x- prefixed extension)",
        )
    if error.validator == "enum" and path and path[-1] == "type":
        return doc.error(
            path,
            f"unknown item type {error.instance!r}; use one of: {', '.join(error.validator_value)}",
        )
    if error.validator == "pattern" and path and path[-1] in {"id", "slug", "course"}:
        return doc.error(
            path,
            f"{error.instance!r} is not a valid id: use lowercase letters, digits and hyphens, "
            "starting with a letter or digit",
        )
    return doc.error(path, error.message)


def _duplicate_ids(doc: Document) -> Iterator[BankError]:
    seen_lessons: dict[str, int | None] = {}
    seen_items: dict[str, int | None] = {}
    for li, lesson in enumerate(doc.data["lessons"]):
        slug = lesson["slug"]
        path: Path = ("lessons", li, "slug")
        if slug in seen_lessons:
            yield doc.error(
                path,
                f"duplicate lesson slug {slug!r} (first used on line {seen_lessons[slug]})",
            )
        else:
            seen_lessons[slug] = doc.line_of(path)
        for ii, item in enumerate(lesson.get("items", [])):
            item_path: Path = ("lessons", li, "items", ii, "id")
            item_id = item["id"]
            if item_id in seen_items:
                yield doc.error(
                    item_path,
                    f"duplicate item id {item_id!r} (first used on line {seen_items[item_id]}); "
                    "item ids must be unique within the course",
                )
            else:
                seen_items[item_id] = doc.line_of(item_path)


def _run_references(doc: Document) -> Iterator[BankError]:
    """A "your run" item must name an exercise of this bank that runs the model it reads."""
    exercises = {
        item["id"]: item.get("models") or []
        for _, item in iter_items(doc.data)
        if item.get("type") == "exercise"
    }
    for path, item in iter_items(doc.data):
        from_run = item.get("from_run")
        if not isinstance(from_run, dict) or not isinstance(from_run.get("exercise"), str):
            continue  # the grader's own check reports the shape
        name, model = from_run["exercise"], from_run.get("model")
        if name not in exercises:
            known = ", ".join(sorted(exercises)) or "none"
            yield _with_item(
                doc,
                (*path, "from_run", "exercise"),
                item,
                f"names {name!r}, which is not an exercise of this bank (exercises: {known})",
            )
        elif model not in exercises[name]:
            yield _with_item(
                doc,
                (*path, "from_run", "model"),
                item,
                f"the exercise {name!r} runs {exercises[name]}, not the {model} model",
            )


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, (*path, index))


def _active_html(doc: Document) -> Iterator[BankError]:
    # One regex pass over the serialised document (json.dumps keeps "<" and ":" as they are)
    # rules out the common case; only a hit pays for the walk that finds each field.
    if not ACTIVE_HTML.search(json.dumps(doc.data, ensure_ascii=False)):
        return
    for path, text in _strings(doc.data, ()):
        match = ACTIVE_HTML.search(text)
        if match:
            yield doc.error(
                path,
                f"contains active HTML ({match.group(0).strip()!r}), which pages never run; "
                "remove it, write it as code (`<script>`), or import with --allow-html to store "
                "it as text (it is then removed when rendered)",
            )
