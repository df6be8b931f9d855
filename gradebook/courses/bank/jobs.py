"""Bank imports as background jobs: what the admin's upload runs, out of the web request.

The lifecycle of one ``BankImport`` row (the Celery message only carries its id):

1. ``import_job_create`` (web): the uploaded files are stored in the database with the row,
   ``queued``; the check is published on commit.
2. ``import_job_check`` (worker): claim the row (``checking``), parse every file and validate
   every document, collecting all problems up to ``MAX_SHOWN_ERRORS`` (a file that does not
   parse does not hide the problems of the others), with progress. Problems -> ``failed``;
   none -> ``ready``, with the preview: what would be created, updated and retired, a
   before/after of each changed answer key, and how many stored answers each change touches.
3. ``import_job_confirm`` (web, the admin's "Apply"): ``ready`` -> ``applying``, published.
4. ``import_job_apply`` (worker): parse and validate again (the database or the graders may
   have changed since the preview), then write everything in one transaction
   (``bank_import``), which also marks the row ``succeeded``: nothing is half-written.

Everything here is format-independent: files are (name, bytes) pairs read by
``loading.parse_bank_bytes``, so a new bank format needs only its reader there. A claim whose
heartbeat is older than ``BankImport.STALE_AFTER`` (its worker died) may be taken over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from gradebook.courses.bank.errors import BankError, BankInvalid
from gradebook.courses.bank.importing import (
    bank_import,
    document_warnings,
    plan_course,
    validate_documents,
)
from gradebook.courses.bank.loading import Document, parse_bank_bytes
from gradebook.courses.bank.validation import count_items
from gradebook.courses.models import BankImport, BankImportFile, BankImportStatus, Course

logger = logging.getLogger(__name__)

#: Problems stored and shown for one import; the count says how many more there were.
MAX_SHOWN_ERRORS = 200
#: A worker that died this many times on one import does not get it again.
MAX_ATTEMPTS = 3
#: Progress is written at most this often (seconds).
PROGRESS_EVERY_S = 0.5


# --- Format-independent pieces: files in, documents and every problem out --------------------


def collect_documents(
    files: Sequence[tuple[str, bytes]], *, course: str | None = None
) -> tuple[list[Document], list[BankError]]:
    """Parse each file with whatever reader its name asks for; a file that cannot be parsed
    contributes its problems, and the others are still returned for validation. ``course``
    is the slug a Moodle XML or GIFT file goes into."""
    documents: list[Document] = []
    errors: list[BankError] = []
    for name, raw in files:
        try:
            documents.append(parse_bank_bytes(raw, filename=name, course=course))
        except BankInvalid as exc:
            errors.extend(exc.errors)
    return documents, errors


def check_documents(
    documents: Sequence[Document], *, allow_html: bool, progress: Any = None
) -> list[BankError]:
    """Every validation problem of every parsed document (empty: all valid)."""
    try:
        validate_documents(documents, allow_active_html=allow_html, progress=progress)
    except BankInvalid as exc:
        return list(exc.errors)
    return []


def answers_per_item(course: Course | None, keys: Sequence[str]) -> dict[str, int]:
    """How many stored answers each item (by key) of ``course`` has: a changed key may call
    for a regrade of exactly these."""
    if course is None or not keys:
        return {}
    from gradebook.quizzes.models import Attempt

    rows = (
        Attempt.objects.filter(item__course=course, item__key__in=list(keys))
        .values("item__key")
        .annotate(n=Count("id"))
    )
    return {row["item__key"]: row["n"] for row in rows}


def with_answer_counts(summary: dict[str, Any], course: Course | None) -> dict[str, Any]:
    keys = [change["key"] for change in summary.get("key_changes", [])]
    counts = answers_per_item(course, keys)
    for change in summary.get("key_changes", []):
        change["answers"] = counts.get(change["key"], 0)
    return summary


# --- The job ----------------------------------------------------------------------------------


class _Progress:
    """The ``progress(n)`` callback of ``bank_import``, written to the row now and then.

    Inside the apply transaction a write would be invisible until the commit (and on SQLite
    it would wait for the writer), so progress is only written outside one.
    """

    def __init__(self, import_id: int, total: int) -> None:
        self.import_id, self.total, self.done = import_id, total, 0
        self.last = 0.0
        BankImport.objects.filter(pk=import_id).update(progress_done=0, progress_total=total)

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S or connection.in_atomic_block:
            return
        self.last = now
        BankImport.objects.filter(pk=self.import_id).update(
            progress_done=min(self.done, self.total), heartbeat_at=timezone.now()
        )


def _files(record: BankImport) -> list[tuple[str, bytes]]:
    return [(f.name, bytes(f.content)) for f in record.files.order_by("position")]


def _claim(import_id: int, *, waiting: str, working: str) -> BankImport | None:
    """Take the row for this worker: from ``waiting``, or from ``working`` when the claim
    there is stale. ``None`` when there is nothing to do (a duplicate delivery)."""
    now = timezone.now()
    stale = now - BankImport.STALE_AFTER
    claimable = Q(status=waiting) | Q(status=working, heartbeat_at__lt=stale)
    taken = (
        BankImport.objects.filter(pk=import_id)
        .filter(claimable, attempts__lt=MAX_ATTEMPTS)
        .update(status=working, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now)
    )
    if taken:
        return BankImport.objects.get(pk=import_id)
    # A job that killed its worker MAX_ATTEMPTS times is refused rather than retried forever.
    BankImport.objects.filter(pk=import_id, attempts__gte=MAX_ATTEMPTS).filter(claimable).update(
        status=BankImportStatus.FAILED,
        errors=[BankError("", None, "", "the import stopped its worker repeatedly").to_dict()],
        error_count=1,
        finished_at=now,
    )
    return None


def _fail(record: BankImport, errors: list[BankError]) -> BankImport:
    record.status = BankImportStatus.FAILED
    record.errors = [e.to_dict() for e in errors[:MAX_SHOWN_ERRORS]]
    record.error_count = len(errors)
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "errors", "error_count", "finished_at"])
    record.files.all().delete()
    return record


def import_job_create(
    *,
    files: Sequence[tuple[str, bytes]],
    by: Any,
    allow_html: bool = False,
    course_slug: str = "",
) -> BankImport:
    """Store the uploaded files as a queued import and publish its check on commit."""
    with transaction.atomic():
        record = BankImport.objects.create(
            created_by=by if getattr(by, "pk", None) else None,
            filenames=[name for name, _ in files],
            dry_run=True,
            succeeded=False,
            status=BankImportStatus.QUEUED,
            allow_html=allow_html,
            course_slug=course_slug,
        )
        BankImportFile.objects.bulk_create(
            BankImportFile(bank_import=record, position=index, name=name, content=raw)
            for index, (name, raw) in enumerate(files)
        )
        transaction.on_commit(lambda: _publish("check", record.pk))
    return record


def import_job_check(import_id: int) -> BankImport | None:
    """Parse and validate every file, then store the preview (or every problem)."""
    record = _claim(import_id, waiting=BankImportStatus.QUEUED, working=BankImportStatus.CHECKING)
    if record is None:
        return None
    documents, errors = collect_documents(_files(record), course=record.course_slug or None)
    progress = _Progress(record.pk, sum(count_items(doc.data) for doc in documents))
    errors += check_documents(documents, allow_html=record.allow_html, progress=progress)
    if errors:
        return _fail(record, errors)
    plans = [plan_course(doc) for doc in documents]
    warnings = document_warnings(documents)
    record.preview = {
        "courses": [with_answer_counts(plan.summary(), plan.course) for plan in plans],
        "warnings": [w.to_dict() for w in warnings[:MAX_SHOWN_ERRORS]],
        "warning_count": len(warnings),
    }
    record.status = BankImportStatus.READY
    record.progress_done = record.progress_total = progress.total
    record.save(update_fields=["preview", "status", "progress_done", "progress_total"])
    return record


def import_job_confirm(*, record: BankImport, by: Any) -> BankImport:
    """The admin confirms the preview: queue the write. Only a ready import can be applied."""
    updated = BankImport.objects.filter(pk=record.pk, status=BankImportStatus.READY).update(
        status=BankImportStatus.APPLYING, heartbeat_at=None, attempts=0
    )
    if not updated:
        raise BankInvalid(
            [BankError("", None, "", "this import is not waiting for a confirmation any more")]
        )
    transaction.on_commit(lambda: _publish("apply", record.pk))
    record.refresh_from_db()
    return record


def import_job_apply(import_id: int) -> BankImport | None:
    """Validate again and write the import in one transaction (it marks the row succeeded)."""
    now = timezone.now()
    # "applying" with no heartbeat is the confirmed, not yet claimed state.
    taken = BankImport.objects.filter(
        pk=import_id, status=BankImportStatus.APPLYING, heartbeat_at__isnull=True
    ).update(attempts=F("attempts") + 1, started_at=now, heartbeat_at=now)
    record = (
        BankImport.objects.get(pk=import_id)
        if taken
        else _claim(import_id, waiting="-", working=BankImportStatus.APPLYING)
    )
    if record is None:
        return None
    documents, errors = collect_documents(_files(record), course=record.course_slug or None)
    if errors:
        return _fail(record, errors)
    progress = _Progress(record.pk, 2 * sum(count_items(doc.data) for doc in documents))
    try:
        result = bank_import(
            documents=documents,
            dry_run=False,
            by=record.created_by,
            allow_active_html=record.allow_html,
            progress=progress,
            record=record,
        )
    except BankInvalid as exc:
        return _fail(record, list(exc.errors))
    stored = result.record.summary  # type: ignore[union-attr]
    record.summary = {
        **stored,
        "courses": [
            with_answer_counts(summary, Course.objects.filter(slug=summary["course"]).first())
            for summary in stored.get("courses", [])
        ],
    }
    record.progress_done = record.progress_total = progress.total
    record.save(update_fields=["summary", "progress_done", "progress_total"])
    record.files.all().delete()
    return record


def import_job_discard(*, record: BankImport) -> BankImport:
    """Drop a checked or refused import without writing it (its files go too)."""
    BankImport.objects.filter(
        pk=record.pk, status__in=[BankImportStatus.READY, BankImportStatus.FAILED]
    ).update(status=BankImportStatus.DISCARDED, finished_at=timezone.now())
    record.refresh_from_db()
    if record.status == BankImportStatus.DISCARDED:
        record.files.all().delete()
    return record


def import_job_state(record: BankImport) -> dict[str, Any]:
    """The small JSON the progress page polls."""
    return {
        "id": record.pk,
        "status": record.status,
        "status_display": record.get_status_display(),
        "progress_done": record.progress_done,
        "progress_total": record.progress_total,
        "active": record.is_active,
    }


def _publish(step: str, import_id: int) -> None:
    """Send the task; a broker outage is logged (the page then says no worker has started)."""
    from gradebook.courses import tasks

    task = tasks.check_bank_import if step == "check" else tasks.apply_bank_import
    try:
        task.delay(import_id)
    except Exception as exc:  # kombu raises several types when the broker is unreachable
        logger.warning("could not publish the %s of bank import %s: %s", step, import_id, exc)
