"""Import: validate every file, plan what changes, then apply it all in one transaction.

Re-importing a course updates it in place. Lessons are matched by slug and items by id within
the course; an item gone from the file is retired (``Item.retire``), never deleted, so the
answers students gave survive; a changed spec goes through ``Item.set_spec`` so a revision keeps
the old key; an unchanged item writes nothing. Work is done in bulk: a few queries per course,
not per item (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any

from django.db import transaction
from django.utils import timezone

from gradebook.courses.bank.errors import BankError, BankInvalid
from gradebook.courses.bank.loading import Document, read_bank_file
from gradebook.courses.bank.validation import count_items, key_warnings, validate_document
from gradebook.courses.models import (
    BankImport,
    BankImportStatus,
    Course,
    Item,
    ItemRevision,
    Lesson,
)

#: Top-level keys stored in Course.meta (and written back on export).
COURSE_FIELDS = ("title", "description", "language")
CORE_TOP_LEVEL = {"format", "course", "title", "description", "language", "lessons"}
LESSON_FIELDS = (
    "order", "title", "summary", "body", "estimated_minutes", "tags", "language", "key_facts",
    "takeaways", "vocabulary", "common_mistakes", "sources",
)  # fmt: skip
LESSON_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "body": "",
    "estimated_minutes": None,
    "tags": [],
    "key_facts": [],
    "takeaways": [],
    "vocabulary": [],
    "common_mistakes": [],
    "sources": [],
}
# Item columns derived from the spec, kept in sync with it for queries and the admin.
ITEM_COLUMNS = ("type", "title", "text", "points", "max_attempts", "retry_penalty")
#: How many names of each kind a plan lists before it says "and N more".
LISTED = 50
#: Warnings kept with an import's summary and preview (the count says how many there were).
MAX_WARNINGS = 200

Progress = Callable[[int], None]


# --- The desired state, read from a validated document --------------------------------------


def wanted_course(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data.get("title") or data["course"],
        "description": data.get("description", ""),
        "language": data.get("language", "en"),
        "meta": {k: v for k, v in data.items() if k not in CORE_TOP_LEVEL},
    }


def wanted_lesson(lesson: dict[str, Any], position: int, course_language: str) -> dict[str, Any]:
    values = {name: lesson.get(name, default) for name, default in LESSON_DEFAULTS.items()}
    values["title"] = lesson["title"]
    values["order"] = lesson.get("order", position + 1)
    values["language"] = lesson.get("language", course_language)
    return values


def item_columns(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": spec["type"],
        "title": spec.get("title", ""),
        "text": spec["text"],
        "points": Decimal(str(spec.get("points", 1))).quantize(Decimal("0.01")),
        "max_attempts": spec.get("max_attempts"),
        "retry_penalty": float(spec.get("retry_penalty", 0.0)),
    }


def write_item_spec(item: Item, spec: dict[str, Any], *, by: Any, note: str) -> bool:
    """Store a changed spec as imports do: columns resynced, a new revision kept with its note.

    The bank import and the item editor both write through here, so an edit in the browser is
    kept exactly like an import's (and the next export carries it). Returns whether it changed.
    """
    for name, value in item_columns(spec).items():
        setattr(item, name, value)
    return item.set_spec(spec, by=by, note=note)


# --- Plans ---------------------------------------------------------------------------------


#: How much of one value a before/after line shows.
SHOWN_VALUE_CHARS = 300


def shown_value(value: Any) -> str:
    """A spec value as one line of JSON, cut to ``SHOWN_VALUE_CHARS`` (``-`` when absent)."""
    if value is _ABSENT:
        return "-"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 1] + "…"


_ABSENT = object()


@dataclass
class ItemChange:
    key: str
    lesson: str
    spec: dict[str, Any]
    order: int
    changes: list[str] = field(default_factory=list)  # what differs, for the report
    before: dict[str, Any] | None = None  # the stored spec, when the spec changes

    def field_changes(self) -> list[tuple[str, str, str]]:
        """(field, before, after) for each top-level spec field that differs: the answer key,
        tolerances, choices... as the admin reads them before confirming."""
        if self.before is None:
            return []
        names = sorted(set(self.before) | set(self.spec))
        return [
            (
                name,
                shown_value(self.before.get(name, _ABSENT)),
                shown_value(self.spec.get(name, _ABSENT)),
            )
            for name in names
            if self.before.get(name, _ABSENT) != self.spec.get(name, _ABSENT)
        ]


@dataclass
class CoursePlan:
    """What importing one file would do to one course."""

    filename: str
    slug: str
    course_created: bool = False
    course_changes: list[str] = field(default_factory=list)
    lessons_created: list[str] = field(default_factory=list)
    lessons_updated: dict[str, list[str]] = field(default_factory=dict)
    lessons_retired: list[str] = field(default_factory=list)
    lessons_unchanged: int = 0
    items_created: list[ItemChange] = field(default_factory=list)
    items_updated: list[ItemChange] = field(default_factory=list)  # spec changed: new revision
    items_moved: list[ItemChange] = field(default_factory=list)  # same spec, other columns
    items_retired: list[str] = field(default_factory=list)
    items_unchanged: int = 0
    # Internal: what apply() needs, computed once by plan_course().
    course: Course | None = field(default=None, repr=False)
    document: Document | None = field(default=None, repr=False)
    lesson_values: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    existing_lessons: dict[str, Lesson] = field(default_factory=dict, repr=False)
    existing_items: dict[str, Item] = field(default_factory=dict, repr=False)

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.course_created
            or self.course_changes
            or self.lessons_created
            or self.lessons_updated
            or self.lessons_retired
            or self.items_created
            or self.items_updated
            or self.items_moved
            or self.items_retired
        )

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "lessons": {
                "created": len(self.lessons_created),
                "updated": len(self.lessons_updated),
                "retired": len(self.lessons_retired),
                "unchanged": self.lessons_unchanged,
            },
            "items": {
                "created": len(self.items_created),
                "updated": len(self.items_updated) + len(self.items_moved),
                "new_revisions": len(self.items_updated),
                "retired": len(self.items_retired),
                "unchanged": self.items_unchanged,
            },
        }

    def summary(self) -> dict[str, Any]:
        """A JSON-safe summary for BankImport.summary and the admin page (lists truncated)."""
        return {
            "file": self.filename,
            "course": self.slug,
            "course_created": self.course_created,
            "course_changes": self.course_changes,
            "counts": self.counts(),
            "lessons_created": self.lessons_created[:LISTED],
            "lessons_updated": dict(list(self.lessons_updated.items())[:LISTED]),
            "lessons_retired": self.lessons_retired[:LISTED],
            "items_created": [c.key for c in self.items_created[:LISTED]],
            "items_updated": {c.key: c.changes for c in self.items_updated[:LISTED]},
            "key_changes": [
                {
                    "key": c.key,
                    "lesson": c.lesson,
                    "fields": [
                        {"field": name, "before": old, "after": new}
                        for name, old, new in c.field_changes()
                    ],
                }
                for c in self.items_updated[:LISTED]
            ],
            "items_moved": {c.key: c.changes for c in self.items_moved[:LISTED]},
            "items_retired": self.items_retired[:LISTED],
        }

    def describe(self) -> list[str]:
        """Human-readable lines: what would be (or was) created, updated and retired."""
        counts = self.counts()
        head = "create" if self.course_created else ("update" if self.course_changes else "keep")
        lines = [f"{self.filename}: course {self.slug} ({head})"]
        if self.course_changes:
            lines.append(f"  course fields changed: {', '.join(self.course_changes)}")
        lc, ic = counts["lessons"], counts["items"]
        lines.append(
            f"  lessons: {lc['created']} created, {lc['updated']} updated, "
            f"{lc['retired']} retired, {lc['unchanged']} unchanged"
        )
        lines.append(
            f"  items: {ic['created']} created, {ic['updated']} updated "
            f"({ic['new_revisions']} with a new revision), {ic['retired']} retired, "
            f"{ic['unchanged']} unchanged"
        )
        entries: list[str] = []
        entries += [f"  + lesson {slug}" for slug in self.lessons_created]
        entries += [f"  ~ lesson {s} ({', '.join(f)})" for s, f in self.lessons_updated.items()]
        entries += [f"  - lesson {slug} (retired)" for slug in self.lessons_retired]
        entries += [f"  + item {c.key} in {c.lesson}" for c in self.items_created]
        for c in self.items_updated:
            entries.append(f"  ~ item {c.key} ({', '.join(c.changes)})")
            entries += [f"      {name}: {old} -> {new}" for name, old, new in c.field_changes()]
        entries += [f"  ~ item {c.key} ({', '.join(c.changes)})" for c in self.items_moved]
        entries += [f"  - item {key} (retired; answers kept)" for key in self.items_retired]
        if len(entries) > LISTED * 2:
            hidden = len(entries) - LISTED * 2
            entries = [*entries[: LISTED * 2], f"  ... and {hidden} more"]
        return lines + entries


@dataclass
class ImportResult:
    plans: list[CoursePlan]
    dry_run: bool
    record: BankImport | None = None
    #: Problems that do not stop the import (an example in a help text that is the answer).
    warnings: list[BankError] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = [f"warning: {w}" for w in self.warnings]
        lines += [line for plan in self.plans for line in plan.describe()]
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return lines


def plan_course(doc: Document) -> CoursePlan:
    """Compare one validated document with the database (reads only)."""
    data = doc.data
    plan = CoursePlan(filename=doc.filename, slug=data["course"], document=doc)
    course_values = wanted_course(data)
    course = Course.objects.filter(slug=plan.slug).first()
    plan.course = course
    if course is None:
        plan.course_created = True
        existing_lessons: dict[str, Lesson] = {}
        existing_items: dict[str, Item] = {}
    else:
        plan.course_changes = [
            name for name, value in course_values.items() if getattr(course, name) != value
        ]
        existing_lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
        # No select_related: joining each item to its lesson row (body and all) doubled the
        # planning time of a 10,000-item course; the lessons are already in hand.
        existing_items = {item.key: item for item in course.items.all()}
    plan.existing_lessons = existing_lessons
    plan.existing_items = existing_items
    lesson_slugs = {lesson.pk: slug for slug, lesson in existing_lessons.items()}

    seen_items: set[str] = set()
    for position, lesson in enumerate(data["lessons"]):
        slug = lesson["slug"]
        values = wanted_lesson(lesson, position, course_values["language"])
        plan.lesson_values[slug] = values
        current = existing_lessons.get(slug)
        if current is None:
            plan.lessons_created.append(slug)
        else:
            changed = [name for name, value in values.items() if getattr(current, name) != value]
            if current.retired_at is not None:
                changed.append("restored")
            if changed:
                plan.lessons_updated[slug] = changed
            else:
                plan.lessons_unchanged += 1

        for order, spec in enumerate(lesson.get("items", [])):
            key = spec["id"]
            seen_items.add(key)
            change = ItemChange(key=key, lesson=slug, spec=spec, order=order)
            item = existing_items.get(key)
            if item is None:
                plan.items_created.append(change)
                continue
            if item.spec != spec:
                change.changes.append(f"spec changed: new revision {item.revision + 1}")
                change.before = item.spec
            current_slug = lesson_slugs.get(item.lesson_id)
            if current_slug != slug:
                change.changes.append(f"moved from lesson {current_slug}")
            if item.order != order:
                change.changes.append("reordered")
            if item.retired_at is not None:
                change.changes.append("restored")
            if item.spec == spec:
                columns = item_columns(spec)
                if any(getattr(item, name) != value for name, value in columns.items()):
                    change.changes.append("columns resynced from spec")
            if not change.changes:
                plan.items_unchanged += 1
            elif item.spec != spec:
                plan.items_updated.append(change)
            else:
                plan.items_moved.append(change)

    wanted_lessons = {lesson["slug"] for lesson in data["lessons"]}
    plan.lessons_retired = sorted(
        slug
        for slug, lesson in existing_lessons.items()
        if slug not in wanted_lessons and lesson.retired_at is None
    )
    plan.items_retired = sorted(
        key
        for key, item in existing_items.items()
        if key not in seen_items and item.retired_at is None
    )
    return plan


def apply_plan(plan: CoursePlan, *, by: Any = None, progress: Progress | None = None) -> Course:
    """Write one course plan. Call inside a transaction (``bank_import`` does)."""
    assert plan.document is not None
    data = plan.document.data
    values = wanted_course(data)
    now = timezone.now()
    user = by if getattr(by, "pk", None) else None
    note = f"bank import: {plan.filename}"

    course = plan.course
    if course is None:
        course = Course.objects.create(slug=plan.slug, **values)
    elif plan.course_changes:
        for name in plan.course_changes:
            setattr(course, name, values[name])
        course.save(update_fields=[*plan.course_changes, "updated_at"])

    lessons = dict(plan.existing_lessons)
    new_lessons = [
        Lesson(course=course, slug=slug, **plan.lesson_values[slug])
        for slug in plan.lessons_created
    ]
    for lesson in Lesson.objects.bulk_create(new_lessons):
        lessons[lesson.slug] = lesson
    changed_lessons = []
    lesson_fields: set[str] = set()
    for slug, changed in plan.lessons_updated.items():
        lesson = lessons[slug]
        for name in changed:
            if name == "restored":
                lesson.retired_at = None
                lesson_fields.add("retired_at")
            else:
                setattr(lesson, name, plan.lesson_values[slug][name])
                lesson_fields.add(name)
        lesson.updated_at = now
        changed_lessons.append(lesson)
    if changed_lessons:
        Lesson.objects.bulk_update(changed_lessons, [*sorted(lesson_fields), "updated_at"])
    for slug in plan.lessons_retired:
        lessons[slug].retire()

    # New items and their first revision, in bulk.
    new_items = [
        Item(
            course=course,
            lesson=lessons[change.lesson],
            key=change.key,
            order=change.order,
            spec=change.spec,
            revision=1,
            **item_columns(change.spec),
        )
        for change in plan.items_created
    ]
    created = Item.objects.bulk_create(new_items, batch_size=1000)
    ItemRevision.objects.bulk_create(
        [
            ItemRevision(item=item, number=1, spec=item.spec, created_by=user, note=note)
            for item in created
        ],
        batch_size=1000,
    )
    if progress:
        progress(len(created))

    # Changed keys: one revision each, through the model's own method.
    for change in plan.items_updated:
        item = plan.existing_items[change.key]
        item.lesson = lessons[change.lesson]
        item.order = change.order
        item.retired_at = None
        write_item_spec(item, change.spec, by=user, note=note)
    if progress and plan.items_updated:
        progress(len(plan.items_updated))

    # Same key, other columns (moved, reordered, restored): no revision.
    moved = []
    for change in plan.items_moved:
        item = plan.existing_items[change.key]
        item.lesson = lessons[change.lesson]
        item.order = change.order
        item.retired_at = None
        for name, value in item_columns(change.spec).items():
            setattr(item, name, value)
        item.updated_at = now
        moved.append(item)
    if moved:
        Item.objects.bulk_update(
            moved, ["lesson", "order", "retired_at", *ITEM_COLUMNS, "updated_at"], batch_size=1000
        )
        if progress:
            progress(len(moved))

    for key in plan.items_retired:
        plan.existing_items[key].retire()
    if progress and plan.items_unchanged:
        progress(plan.items_unchanged)
    return course


# --- The service -----------------------------------------------------------------------------


def document_warnings(documents: Sequence[Document]) -> list[BankError]:
    """What does not stop an import: a reader's notes on questions it could not map (Moodle
    XML, GIFT), then help texts that give the answer away. Run on valid documents."""
    return [w for doc in documents for w in (*doc.notes, *key_warnings(doc))]


def load_documents(paths: Iterable[str | FsPath], *, course: str | None = None) -> list[Document]:
    """Parse every file; raise ``BankInvalid`` with all files' parse errors together.

    ``course`` names the course a Moodle XML or GIFT file goes into (see ``read_bank_file``)."""
    documents: list[Document] = []
    errors: list[BankError] = []
    for path in paths:
        try:
            documents.append(read_bank_file(path, course=course))
        except BankInvalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise BankInvalid(errors)
    return documents


def validate_documents(
    documents: Sequence[Document],
    *,
    allow_active_html: bool = False,
    progress: Progress | None = None,
) -> None:
    """Raise ``BankInvalid`` with every problem in every document (or return: all valid)."""
    errors: list[BankError] = []
    first_file: dict[str, str] = {}
    for doc in documents:
        tick = (lambda: progress(1)) if progress else None
        errors.extend(validate_document(doc, allow_active_html=allow_active_html, on_item=tick))
        slug = doc.data.get("course") if isinstance(doc.data, dict) else None
        if isinstance(slug, str):
            if slug in first_file:
                errors.append(
                    doc.error(
                        ("course",),
                        f"course {slug!r} is also imported from {first_file[slug]}: "
                        "one file per course",
                    )
                )
            first_file.setdefault(slug, doc.filename)
    if errors:
        raise BankInvalid(errors)


def bank_import(
    *,
    documents: Sequence[Document],
    dry_run: bool = False,
    by: Any = None,
    allow_active_html: bool = False,
    progress: Progress | None = None,
    record: BankImport | None = None,
) -> ImportResult:
    """Validate ``documents`` and, unless ``dry_run``, write them in one transaction.

    Raises ``BankInvalid`` (nothing written) when any document has any problem. A dry run only
    reads: the result's plans say what would be created, updated and retired. ``record`` is the
    admin's import job: it is marked succeeded in the same transaction instead of a new record.
    """
    validate_documents(documents, allow_active_html=allow_active_html, progress=progress)
    warnings = document_warnings(documents)
    if dry_run:
        return ImportResult(
            plans=[plan_course(doc) for doc in documents], dry_run=True, warnings=warnings
        )
    with transaction.atomic():
        # Lock existing courses so two imports of the same course apply one after the other.
        slugs = [doc.data["course"] for doc in documents]
        list(Course.objects.select_for_update().filter(slug__in=slugs).values_list("pk"))
        plans = [plan_course(doc) for doc in documents]
        for plan in plans:
            course = apply_plan(plan, by=by, progress=progress)
            if plan.document is not None and plan.document.media:
                from gradebook.courses.bank.media import store_media

                store_media(plan.document.media, course)
        summary = {
            "courses": [plan.summary() for plan in plans],
            "warnings": [w.to_dict() for w in warnings[:MAX_WARNINGS]],
            "warning_count": len(warnings),
        }
        if record is None:
            record = BankImport.objects.create(
                created_by=by if getattr(by, "pk", None) else None,
                filenames=[doc.filename for doc in documents],
                dry_run=False,
                succeeded=True,
                summary=summary,
            )
        else:
            # The job's own row: marked done in the transaction that wrote the import, so a
            # worker lost after the commit cannot leave it looking unfinished.
            record.dry_run, record.succeeded, record.summary = False, True, summary
            record.status, record.finished_at = BankImportStatus.SUCCEEDED, timezone.now()
            record.save(update_fields=["dry_run", "succeeded", "summary", "status", "finished_at"])
    return ImportResult(plans=plans, dry_run=False, record=record, warnings=warnings)


def import_bank_files(
    paths: Sequence[str | FsPath],
    *,
    dry_run: bool = False,
    by: Any = None,
    allow_active_html: bool = False,
    progress: Progress | None = None,
    course: str | None = None,
) -> ImportResult:
    """Read, validate and import bank files in one call (``load_documents`` then
    ``bank_import``): for code and tests that import files directly. ``manage.py import_bank``
    and the admin's upload job call the two steps themselves, for progress and the job row."""
    documents = load_documents(paths, course=course)
    return bank_import(
        documents=documents,
        dry_run=dry_run,
        by=by,
        allow_active_html=allow_active_html,
        progress=progress,
    )


def total_work(documents: Sequence[Document], *, dry_run: bool) -> int:
    """Progress-bar total: each item is validated once and, unless a dry run, written once."""
    items = sum(count_items(doc.data) for doc in documents)
    return items if dry_run else items * 2
