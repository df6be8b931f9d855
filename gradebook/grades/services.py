"""Writes on the teachers' side: reviews, overrides, regrades and declared mistakes.

One function per change that spans models; views and API views check access with
``gradebook.grades.access`` and call one of these. Every grade change goes through
``Attempt.change_score`` (or its bulk form for a regrade), so the history is never skipped,
and then through ``progress.services.on_attempt_scored`` so XP follows the grade.

Decisions written down here:

- A review is a draft until returned; only returning sets the grade. A returned review can be
  changed by returning it again (the history keeps both grades); it cannot go back to draft.
- Overrides are for auto-graded answers (reviewed items are graded by their review); the reason
  is required because the student sees it.
- A regrade preview grades every attempt of the item against the key as it was when the
  preview was requested. Overridden and reviewed attempts are kept; answers the grader cannot
  read or decide under the new key keep their grade. Applying applies exactly the previewed
  rows, skipping an attempt whose grade changed since the preview, and refuses if the key
  changed since (the teacher must preview again).
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from gradebook.bulksql import insert_rows
from gradebook.courses.bank.validation import active_html_in
from gradebook.courses.models import Item, ItemRevision
from gradebook.grades.models import (
    ACTIVE_REGRADE_STATUSES,
    RegradeChange,
    RegradeOutcome,
    RegradeRun,
    RegradeStatus,
    Review,
    ReviewState,
    RubricError,
)
from gradebook.grades.rubric import review_plan
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeChange, GradeSource
from gradebook.quizzes.signals import announce
from gradebook.refusals import Refusal

logger = logging.getLogger(__name__)

#: Attempts read, graded and written per round trip during a regrade.
REGRADE_CHUNK = 2000
#: Rows per UPDATE in bulk_update: it writes a CASE with one branch per row for every field,
#: which the database evaluates for each row, so large batches cost quadratic time.
BULK_UPDATE_BATCH = 200
#: Distinct (response, params) pairs whose grading result a regrade remembers.
REGRADE_CACHE_LIMIT = 50_000
_EPS = 1e-9
_TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")

T = TypeVar("T")


#: Error codes that mean "the object is not in a state for this" (409), not "your input is
#: wrong" (400).
CONFLICT_CODES = {"already_returned", "regrade_running", "not_previewed", "stale_preview"}


class GradingError(Refusal):
    """A refused teacher action; nothing was changed. ``field`` names the bad input."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(
            message, field=field, code=code, status=409 if code in CONFLICT_CODES else 400
        )


def _after_scored(attempts: Iterable[Attempt]) -> None:
    # XP is the progress app's business: it recomputes what the changed scores earn.
    from gradebook.progress.services import on_attempt_scored

    for attempt in attempts:
        on_attempt_scored(attempt)


# --- Reviews ------------------------------------------------------------------------------------


def needs_teacher(attempt: Attempt) -> bool:
    """Graded by a teacher's review: a free-text or exercise item, or any answer the grader
    left for review (a multipart item with a free-text part)."""
    return attempt.item.is_reviewed or attempt.status in (
        AttemptStatus.PENDING_REVIEW,
        AttemptStatus.REVIEWED,
    )


def review_save(
    *,
    attempt: Attempt,
    by: Any,
    rubric_scores: dict[str, Any] | None = None,
    points: Any = None,
    comment: str = "",
    action: str = "draft",
) -> Review:
    """Save a teacher's review of a free-text or exercise attempt as a draft, or return it.

    Returning needs every rubric criterion scored (or points, for an item with no rubric);
    it sets the attempt's score through ``change_score(source="review", status="reviewed")``
    and awards the XP the score earns.
    """
    if action not in ("draft", "return"):
        raise GradingError(
            _("Unknown action '%(action)s': use 'draft' or 'return'.") % {"action": action},
            field="action",
        )
    if not needs_teacher(attempt):
        raise GradingError(
            _("This answer was graded automatically: override its grade instead of reviewing it."),
            code="not_reviewable",
        )
    plan = review_plan(attempt.item.spec, attempt.result)
    criteria = plan.criteria
    max_points = float(attempt.item.points)
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        review = Review.objects.filter(attempt=locked).first() or Review(attempt=locked)
        if action == "draft" and review.is_returned:
            raise GradingError(
                _("This review was already returned to the student; return it again to change it."),
                code="already_returned",
            )
        try:
            review.set_scores(
                criteria=criteria, max_points=max_points, rubric_scores=rubric_scores, points=points
            )
        except RubricError as exc:
            raise GradingError(str(exc), field=exc.field) from None
        review.comment = comment
        review.reviewer = by
        score = None
        if action == "return":
            score = review.score_fraction(plan=plan, max_points=max_points)
            if score is None:
                missing = review.missing_criteria(criteria)
                if missing:
                    message = _("Score every criterion before returning; missing: %(names)s") % {
                        "names": ", ".join(missing)
                    }
                else:
                    message = _("Give points before returning.")
                raise GradingError(message, field="rubric_scores" if missing else "points")
            review.state = ReviewState.RETURNED
            review.returned_at = timezone.now()
        review.save()
        if action == "return" and (
            locked.status != AttemptStatus.REVIEWED or not _same(locked.score, score)
        ):
            locked.change_score(
                score,
                by=by,
                reason=comment or "Reviewed.",
                source=GradeSource.REVIEW,
                status=AttemptStatus.REVIEWED,
                correct=score is not None and score >= 1 - _EPS,
            )
            _after_scored([locked])
    attempt.refresh_from_db()
    return review


def review_group(
    *,
    attempts: list[Attempt],
    by: Any,
    rubric_scores: dict[str, Any] | None = None,
    points: Any = None,
    comment: str = "",
) -> list[Review]:
    """Return one review to every attempt of a group of identical answers (answer groups).

    All or nothing: the reviews are saved in one transaction, so a refused score (a missing
    criterion) leaves every attempt of the group as it was.
    """
    if not attempts:
        raise GradingError(_("This group has no answers left to review."), code="empty_group")
    with transaction.atomic():
        return [
            review_save(
                attempt=attempt,
                by=by,
                rubric_scores=rubric_scores,
                points=points,
                comment=comment,
                action="return",
            )
            for attempt in attempts
        ]


# --- Overrides ----------------------------------------------------------------------------------


def score_from_points(item: Any, points: Any) -> float:
    """A teacher's typed ``points`` out of the item's points, as a score in [0, 1]."""
    max_points = float(item.points)
    try:
        value = float(str(points).strip())
    except (TypeError, ValueError):
        raise GradingError(
            _("Points: '%(points)s' is not a number.") % {"points": points}, field="points"
        ) from None
    if value != value or value < 0 or value > max_points:
        raise GradingError(
            _("Points: %(points)s is outside 0 to %(max)s.")
            % {"points": points, "max": f"{max_points:g}"},
            field="points",
        )
    return value / max_points if max_points else 0.0


def grade_override(*, attempt: Attempt, by: Any, points: Any, reason: str) -> GradeChange:
    """Replace an auto-grade with the teacher's ``points`` (out of the item's points).

    The reason is required: the student sees it beside the new grade.
    """
    reason = (reason or "").strip()
    if not reason:
        raise GradingError(
            _("Give a reason: the student sees it with the new grade."), field="reason"
        )
    if needs_teacher(attempt):
        raise GradingError(
            _("This answer is graded by review: open the review to change its grade."),
            code="not_overridable",
        )
    score = score_from_points(attempt.item, points)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        change = locked.change_score(
            score,
            by=by,
            reason=reason,
            source=GradeSource.OVERRIDE,
            status=AttemptStatus.GRADED,
            correct=score >= 1 - _EPS,
        )
        _after_scored([locked])
    attempt.refresh_from_db()
    return change


# --- Regrades -----------------------------------------------------------------------------------


def regrade_start(*, item: Item, by: Any) -> RegradeRun:
    """Queue a background preview of regrading every answer of ``item`` against its key now."""
    if item.is_reviewed:
        raise GradingError(
            _("Answers to this item are graded by teachers' reviews; there is nothing to regrade."),
            code="not_regradable",
        )
    from gradebook.grades.tasks import compute_regrade_preview

    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).first()
        active = [
            run
            for run in RegradeRun.objects.filter(item=item, status__in=ACTIVE_REGRADE_STATUSES)
            if not run.is_stale()
        ]
        # A run whose worker stopped reporting is marked failed so it stops looking busy.
        RegradeRun.objects.filter(
            item=item,
            status=RegradeStatus.RUNNING,
            heartbeat_at__lt=timezone.now() - RegradeRun.STALE_AFTER,
        ).update(status=RegradeStatus.FAILED, error="The worker stopped reporting progress.")
        if active:
            raise GradingError(
                _("A regrade preview of this item is already being computed."),
                code="regrade_running",
            )
        revision = ItemRevision.objects.filter(item=item, number=item.revision).first()
        if revision is None:
            revision = ItemRevision.objects.create(item=item, number=item.revision, spec=item.spec)
        run = RegradeRun.objects.create(
            item=item,
            revision=revision,
            requested_by=by if getattr(by, "pk", None) else None,
            progress_total=Attempt.objects.filter(item=item).count(),
        )
        transaction.on_commit(lambda: compute_regrade_preview.delay(run.pk))
    return run


def _claim(run_id: int) -> RegradeRun | None:
    now = timezone.now()
    claimable = Q(status=RegradeStatus.QUEUED) | Q(
        status=RegradeStatus.RUNNING, heartbeat_at__lt=now - RegradeRun.STALE_AFTER
    )
    claimed = RegradeRun.objects.filter(
        claimable, pk=run_id, attempts__lt=RegradeRun.MAX_ATTEMPTS
    ).update(
        status=RegradeStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return RegradeRun.objects.select_related("item", "revision").get(pk=run_id)


def _chunks(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for value in iterable:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= _EPS


def _reading(result: Any, data: dict[str, Any]) -> str:
    interpretation = getattr(result, "interpretation", None)
    canonical = getattr(interpretation, "canonical", None) if interpretation is not None else None
    if canonical is None:
        canonical = getattr(result, "interpreted_as", None)
    return str(canonical or "")[:500]


def _grade_cached(
    spec: dict[str, Any], response: Any, params: dict[str, Any], cache: dict[str, Any]
) -> dict[str, Any]:
    """Grade once per distinct (response, params): a class gives the same wrong answer often."""
    key = json.dumps([response, params], sort_keys=True, default=str)
    hit = cache.get(key)
    if hit is not None:
        return hit
    import graders  # the grading library; imported where used so this module loads without it

    result = graders.grade(spec, response, params=params)
    data = result.to_dict()
    raw = getattr(result, "score", data.get("score"))
    graded = {
        "outcome": str(getattr(result, "outcome", data.get("outcome", ""))),
        "score": float(raw) if raw is not None else None,
        "feedback": str(getattr(result, "feedback", data.get("feedback", "")) or ""),
        "interpreted_as": _reading(result, data),
        "misconception": str(getattr(result, "misconception", None) or "")[:100],
        "result": data,
    }
    if len(cache) >= REGRADE_CACHE_LIMIT:
        cache.clear()
    cache[key] = graded
    return graded


def regrade_compute_preview(run_id: int, *, chunk_size: int = REGRADE_CHUNK) -> RegradeRun | None:
    """Grade every attempt of the run's item against the run's key; store what would change.

    Streams attempts in chunks (one read, one bulk insert and one progress update per chunk),
    so memory stays flat however many answers the item has. Returns None when another worker
    already has the run (a duplicate delivery).
    """
    run = _claim(run_id)
    if run is None:
        return None
    try:
        return _compute(run, chunk_size=chunk_size)
    except Exception as exc:
        logger.exception("regrade %s failed", run_id)
        RegradeRun.objects.filter(pk=run_id).update(
            status=RegradeStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise


#: The columns of a preview's RegradeChange rows, written as tuples (``insert_rows``).
CHANGE_COLUMNS = (
    "run",
    "attempt",
    "outcome",
    "old_score",
    "new_score",
    "old_correct",
    "new_correct",
    "seen_source",
    "seen_change_id",
    "applied",
    "skipped_reason",
)


def _compute(run: RegradeRun, *, chunk_size: int) -> RegradeRun:
    from gradebook.quizzes.services import retry_factor

    # A run taken over from a dead worker starts again from scratch.
    RegradeChange.objects.filter(run=run).delete()
    RegradeOutcome.objects.filter(run=run).delete()
    spec = run.revision.spec
    penalty = float(run.item.retry_penalty or 0)
    counts = dict.fromkeys(
        (
            "total",
            "changed",
            "raised",
            "lowered",
            "unchanged",
            "kept_override",
            "kept_review",
            "undecided",
            "unreadable",
            "decided",
        ),
        0,
    )
    cache: dict[str, Any] = {}
    # Tuples, not instances: building 100,000 Attempt objects was a third of the preview.
    attempts = (
        Attempt.objects.filter(item_id=run.item_id)
        .order_by("id")
        .values_list(
            "id", "number", "response", "params", "status", "score", "score_source", "correct"
        )
    )
    total = attempts.count()
    RegradeRun.objects.filter(pk=run.pk).update(progress_total=total, progress_done=0)
    done = 0
    for chunk in _chunks(attempts.iterator(chunk_size=chunk_size), chunk_size):
        pending: list[list[Any]] = []
        new_outcomes: list[RegradeOutcome] = []
        for attempt_id, number, response, params, status, score, score_source, correct in chunk:
            counts["total"] += 1
            if score_source in (GradeSource.OVERRIDE, GradeSource.REVIEW):
                counts[
                    "kept_override" if score_source == GradeSource.OVERRIDE else "kept_review"
                ] += 1
                continue
            if status in (AttemptStatus.PENDING_REVIEW, AttemptStatus.REVIEWED):
                counts["kept_review"] += 1
                continue
            graded = _grade_cached(spec, response, params or {}, cache)
            outcome = graded["outcome"]
            if outcome in ("undecided", "needs_review") or graded["score"] is None:
                counts["undecided"] += 1
                continue
            if outcome == "invalid":
                counts["unreadable"] += 1
                continue
            new_score = graded["score"] * retry_factor(penalty, number)
            new_correct = outcome == "correct"
            if _same(score, new_score) and correct == new_correct:
                counts["unchanged"] += 1
                continue
            counts["changed"] += 1
            if score is None:
                counts["decided"] += 1
            elif new_score > score:
                counts["raised"] += 1
            elif new_score < score:
                counts["lowered"] += 1
            outcome_row = graded.get("row")
            if outcome_row is None:
                outcome_row = graded["row"] = RegradeOutcome(
                    run=run,
                    outcome=outcome,
                    auto_score=graded["score"],
                    correct=new_correct,
                    result=graded["result"],
                    interpreted_as=graded["interpreted_as"],
                    misconception=graded["misconception"],
                    feedback=graded["feedback"],
                )
                new_outcomes.append(outcome_row)
            # In CHANGE_COLUMNS order; the outcome row gets its id when its chunk is stored.
            pending.append(
                [
                    run.pk,
                    attempt_id,
                    outcome_row,
                    score,
                    new_score,
                    correct,
                    new_correct,
                    score_source,
                    None,
                    False,
                    "",
                ]
            )
        if new_outcomes:
            RegradeOutcome.objects.bulk_create(new_outcomes, batch_size=chunk_size)
            new_outcomes = []
        if pending:
            last_seen = dict(
                GradeChange.objects.filter(attempt_id__in=[c[1] for c in pending])
                .values("attempt_id")
                .annotate(last=Max("id"))
                .values_list("attempt_id", "last")
            )
            for change in pending:
                change[2] = change[2].pk
                change[8] = last_seen.get(change[1])
            insert_rows(RegradeChange, CHANGE_COLUMNS, pending, batch_size=chunk_size)
        done += len(chunk)
        RegradeRun.objects.filter(pk=run.pk).update(progress_done=done, heartbeat_at=timezone.now())
    counts["distinct_answers_graded"] = len(cache)
    RegradeRun.objects.filter(pk=run.pk, status=RegradeStatus.RUNNING).update(
        status=RegradeStatus.PREVIEWED,
        summary=counts,
        progress_done=done,
        progress_total=total,
        previewed_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def regrade_apply(*, run: RegradeRun, by: Any, chunk_size: int = REGRADE_CHUNK) -> RegradeRun:
    """Apply exactly the previewed changes, atomically; skip attempts changed since the preview.

    Raises ``GradingError`` if the run is not a finished preview or the item's key changed
    since the preview (what was confirmed would no longer be what is applied).
    """
    with transaction.atomic():
        run = RegradeRun.objects.select_for_update().select_related("revision").get(pk=run.pk)
        if run.status != RegradeStatus.PREVIEWED:
            raise GradingError(
                _("This regrade is %(status)s, not a preview waiting to be applied.")
                % {"status": run.get_status_display().lower()},
                code="not_previewed",
            )
        item = Item.objects.select_for_update().get(pk=run.item_id)
        if item.revision != run.revision.number:
            raise GradingError(
                _(
                    "The item's key changed since this preview (revision %(then)d, now %(now)d): "
                    "run a new preview."
                )
                % {"then": run.revision.number, "now": item.revision},
                code="stale_preview",
            )
        reason = f"Regraded against revision {run.revision.number} of the key."
        applied, skipped = _apply_changes(run, by=by, reason=reason)
        run.status = RegradeStatus.APPLIED
        run.applied_at = timezone.now()
        run.applied_by = by if getattr(by, "pk", None) else None
        run.summary = {**run.summary, "applied": applied, "skipped_stale": skipped}
        run.save(update_fields=["status", "applied_at", "applied_by", "summary"])
        if applied:
            from gradebook.grades.tasks import sync_regrade_progress

            run_id = run.pk
            transaction.on_commit(lambda: sync_regrade_progress.delay(run_id))
    return run


def _apply_changes(run: RegradeRun, *, by: Any, reason: str) -> tuple[int, int]:
    """Apply the run's previewed changes set-wise, inside the caller's transaction; return
    (applied, skipped).

    What ``change_score`` does per attempt, as five statements for the whole run, so the
    apply's time follows the database, not a Python loop over 100,000 rows: the run's attempts
    are locked (in id order); a change whose attempt moved since the preview (another score
    source, another score, or a grade change after the one the preview saw) is marked
    skipped; the others are marked applied, get their history row (old score as stored, new
    score, who, why), and the attempt takes the outcome's verdict, score and revision.
    """
    changes = RegradeChange.objects.filter(run=run)
    attempt_ids = changes.values("attempt_id")
    locked = Attempt.objects.select_for_update().filter(pk__in=attempt_ids).order_by("pk")
    for _pk in locked.values_list("pk", flat=True).iterator(chunk_size=10_000):
        pass  # each row is locked as it is read; nothing is kept
    current = Attempt.objects.filter(pk=OuterRef("attempt_id"))
    last_change = GradeChange.objects.filter(attempt_id=OuterRef("attempt_id")).order_by("-id")
    seen = changes.annotate(
        now_source=Subquery(current.values("score_source")[:1]),
        now_score=Subquery(current.values("score")[:1]),
        last_change=Subquery(last_change.values("id")[:1]),
    ).filter(
        Q(now_source=F("seen_source")),
        Q(now_score__isnull=True, old_score__isnull=True)
        | Q(now_score__gte=F("old_score") - _EPS, now_score__lte=F("old_score") + _EPS),
        Q(last_change=F("seen_change_id"))
        | Q(last_change__isnull=True, seen_change_id__isnull=True),
    )
    applied = changes.filter(pk__in=seen.values("pk")).update(applied=True)
    skipped = changes.filter(applied=False).update(skipped_reason="changed since the preview")
    if not applied:
        return 0, skipped
    by_id = by.pk if getattr(by, "pk", None) else None
    with connection.cursor() as cursor:
        for sql, params in _apply_statements(run, by_id=by_id, reason=reason):
            cursor.execute(sql, params)
    pairs = (
        Attempt.objects.filter(pk__in=changes.filter(applied=True).values("attempt_id"))
        .values_list("student_id", "item_id")
        .distinct()
    )
    announce(Attempt, set(pairs))
    return applied, skipped


def _apply_statements(
    run: RegradeRun, *, by_id: int | None, reason: str
) -> list[tuple[str, list[Any]]]:
    """The history INSERT and the attempts' UPDATE of an apply, by hand: the ORM has neither
    ``INSERT ... SELECT`` nor ``UPDATE ... FROM``. PostgreSQL and SQLite (3.33+) run both."""
    quote = connection.ops.quote_name
    attempts = quote(Attempt._meta.db_table)
    history = quote(GradeChange._meta.db_table)
    changes = quote(RegradeChange._meta.db_table)
    outcomes = quote(RegradeOutcome._meta.db_table)
    now = timezone.now()
    # Identifiers come from model metadata; every value is a parameter.
    insert = (
        f"INSERT INTO {history} (attempt_id, changed_by_id, changed_at, old_score, new_score, "  # noqa: S608
        f"source, reason) SELECT c.attempt_id, %s, %s, a.score, c.new_score, %s, %s "
        f"FROM {changes} c JOIN {attempts} a ON a.id = c.attempt_id "
        f"WHERE c.run_id = %s AND c.applied ORDER BY c.attempt_id"
    )
    update = (
        f"UPDATE {attempts} SET score = c.new_score, score_source = %s, "  # noqa: S608
        f"auto_score = o.auto_score, correct = c.new_correct, status = %s, result = o.result, "
        f"feedback = o.feedback, interpreted_as = o.interpreted_as, "
        f"misconception = o.misconception, revision_id = %s "
        f"FROM {changes} c JOIN {outcomes} o ON o.id = c.outcome_id "
        f"WHERE c.attempt_id = {attempts}.id AND c.run_id = %s AND c.applied"
    )
    changed_at = GradeChange._meta.get_field("changed_at").get_db_prep_save(now, connection)
    return [
        (insert, [by_id, changed_at, GradeSource.REGRADE.value, reason, run.pk]),
        (update, [GradeSource.REGRADE.value, AttemptStatus.GRADED.value, run.revision_id, run.pk]),
    ]


def regrade_sync_progress(run_id: int, *, chunk_size: int = 1000) -> int:
    """Bring XP, lessons and achievements up to date for every student whose grade an
    applied regrade changed.

    Runs after the apply commits (a Celery task), so the apply stays one short transaction
    however many students it touches. ``progress.services.on_item_rescored`` does for all of
    them at once, chunk by chunk, what ``on_attempt_scored`` does for one student's latest
    changed attempt; calling it again changes nothing, so a duplicate delivery is harmless.
    Returns how many students were brought up to date.
    """
    from gradebook.progress.services import on_item_rescored

    run = (
        RegradeRun.objects.filter(
            pk=run_id, status=RegradeStatus.APPLIED, progress_synced_at__isnull=True
        )
        .select_related("item", "item__lesson")
        .first()
    )
    if run is None:
        return 0
    latest = (
        RegradeChange.objects.filter(run=run, applied=True)
        .values("attempt__student_id")
        .annotate(last=Max("attempt_id"))
        .order_by("attempt__student_id")
        .values_list("last", flat=True)
    )
    done = 0
    for ids in _chunks(latest.iterator(chunk_size=chunk_size), chunk_size):
        days = {
            student_id: timezone.localdate(submitted_at)
            for student_id, submitted_at in Attempt.objects.filter(pk__in=ids).values_list(
                "student_id", "submitted_at"
            )
        }
        done += on_item_rescored(item=run.item, students=days, chunk=chunk_size)
    RegradeRun.objects.filter(pk=run.pk).update(progress_synced_at=timezone.now())
    return done


def regrade_discard(*, run: RegradeRun) -> RegradeRun:
    """Throw away a preview the teacher does not want (nothing was changed by it)."""
    updated = RegradeRun.objects.filter(
        pk=run.pk, status__in=[RegradeStatus.PREVIEWED, RegradeStatus.FAILED]
    ).update(status=RegradeStatus.DISCARDED)
    if not updated:
        raise GradingError(
            _("Only a finished or failed preview can be discarded."), code="not_previewed"
        )
    run.refresh_from_db()
    return run


# --- Declared mistakes --------------------------------------------------------------------------


def item_add_mistake(
    *, item: Item, by: Any, answer: str, feedback: str, tag: str = ""
) -> dict[str, Any]:
    """Declare a wrong answer as a known mistake with its message, in the item's spec.

    Goes through ``Item.set_spec`` (a new revision), so the bank export carries it and future
    answers that match it get the message. Returns the mistake as stored.
    """
    answer = (answer or "").strip()
    feedback = (feedback or "").strip()
    tag = (tag or "").strip().lower()
    if not answer:
        raise GradingError(_("Give the wrong answer to declare."), field="answer")
    if len(answer) > 500:
        raise GradingError(
            _("The answer is %(n)d characters long; at most 500.") % {"n": len(answer)},
            field="answer",
        )
    if not feedback:
        raise GradingError(
            _("Write the message students will see when they give this answer."),
            field="feedback",
        )
    for field, text in (("answer", answer), ("feedback", feedback)):
        # The importer's rule, so the course's export still imports (validation.ACTIVE_HTML).
        active = active_html_in(text)
        if active is not None:
            raise GradingError(
                f"The {field} contains active HTML ({active!r}), which pages never run and "
                "the bank importer refuses: remove it (write &lt; for a literal <).",
                field=field,
            )
    if tag and not _TAG.match(tag):
        raise GradingError(
            _("Tag '%(tag)s': use lowercase letters, digits and dashes (like 'log-base').")
            % {"tag": tag},
            field="tag",
        )
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(pk=item.pk)
        spec = copy.deepcopy(locked.spec)
        mistakes = list(spec.get("mistakes") or [])
        if any(str(m.get("answer", "")).strip() == answer for m in mistakes if isinstance(m, dict)):
            raise GradingError(
                _("'%(answer)s' is already a declared mistake.") % {"answer": answer},
                field="answer",
            )
        mistake: dict[str, Any] = {"answer": answer, "feedback": feedback}
        if tag:
            mistake["tag"] = tag
        mistakes.append(mistake)
        spec["mistakes"] = mistakes
        import graders

        validate = getattr(graders, "validate_spec", None)
        if validate is not None:
            problems = _spec_problems(validate, spec)
            if problems:
                raise GradingError(
                    _("The item would no longer be valid: %(problems)s") % {"problems": problems},
                    field="answer",
                )
        locked.set_spec(spec, by=by, note=f"Declared mistake {answer!r}")
    item.refresh_from_db()
    return mistake


def _spec_problems(validate: Any, spec: dict[str, Any]) -> str:
    try:
        outcome = validate(spec)
    except Exception as exc:  # a validator that raises on a bad spec
        return str(exc)
    if not outcome:
        return ""
    if isinstance(outcome, list | tuple):
        return "; ".join(str(p) for p in outcome)
    return ""
