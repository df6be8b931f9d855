"""Grades to the LMS (LTI Assignment and Grade Services): compute, record, send, sweep.

The path of a grade change: ``receivers`` hands the changed (student, item) pairs to the task
``lti.scores_changed``, which calls ``scores_refresh``: for every graded placement that
carries the item and every student who is a member of the placement's LMS context, the grade
is computed again and, if it differs from the one recorded, written to the ``ScoreSync`` row as
a new version (its payload and timestamp fixed from then on). Then ``lti.send_score`` sends each
changed row (``score_send``). The sweeper (``scores_sweep``, a beat task and a loop in
``runall``) finds grade changes the fast path missed and resends rows left unsent.

Decisions written down here:

- A placement's grade is what the gradebook shows: per item the best score among the
  student's attempts (the retry penalty already lowers later tries) times the item's points;
  a lesson adds up its active items. ``scoreMaximum`` is the points available.
- ``gradingProgress`` is ``FullyGraded`` when nothing waits for a teacher or the grader (the
  LMS then shows the running total), ``PendingManual`` while an answer waits for review,
  ``Pending`` while the grader could not decide one, ``NotReady`` before any answer.
  ``activityProgress`` is ``Initialized`` before any answer, ``Completed`` when every item is
  done (``Submitted`` if some of it waits for review), ``InProgress`` otherwise.
- Nothing is lost: a send that fails for a reason that can pass (the LMS is down, a timeout,
  5xx, 429, a refused token) is retried by Celery with backoff, and after that by the sweeper,
  until it goes through. Nothing is sent twice with a different value: a version's payload
  never changes, each new version has a later timestamp than the last, and the LMS keeps the
  score with the latest timestamp. A refusal that cannot pass (another 4xx: the user left the
  LMS course, the line item was deleted) marks the row failed with the LMS's answer, for the
  teacher to see; the next grade change tries again.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from lti_tool.models import LtiMembership
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.lineitem import LineItem

from gradebook.courses.models import REVIEWED_TYPES, Item
from gradebook.lti.models import (
    GRADED_TARGETS,
    Placement,
    ScoreSync,
    SweepMark,
    SyncStatus,
    Target,
)
from gradebook.lti.tool import (
    AGS_LINEITEM_READ_SCOPE,
    AGS_LINEITEM_SCOPE,
    AGS_SCORE_SCOPE,
    CachedTokenConnector,
)
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeChange

log = logging.getLogger(__name__)

#: How long a sender holds a row (longer than a send with its timeouts can take).
CLAIM_FOR = timedelta(seconds=120)
SCORE_CONTENT_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_CONTENT_TYPE = "application/vnd.ims.lis.v2.lineitem+json"


class RetryableSendError(Exception):
    """A send that failed for a reason that can pass; Celery retries it with backoff."""


# --- What the LMS should show ---------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    """One student's grade for one placement, as AGS carries it."""

    score_given: float | None
    score_maximum: float
    activity_progress: str
    grading_progress: str


@dataclass(frozen=True)
class _ItemFacts:
    points: float
    type: str
    max_attempts: int | None


def grades_for(placement: Placement, student_ids: Iterable[int]) -> dict[int, Grade]:
    """``{student id: Grade}`` for the placement's items, in two queries whatever the count."""
    items = {
        row["id"]: _ItemFacts(float(row["points"]), row["type"], row["max_attempts"])
        for row in placement.items().values("id", "points", "type", "max_attempts")
    }
    students = list(student_ids)
    stats: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in (
        Attempt.objects.filter(student_id__in=students, item_id__in=list(items))
        .values("student_id", "item_id")
        .annotate(
            best=Max("score"),
            tries=Count("id"),
            correct=Count("id", filter=Q(correct=True)),
            pending=Count("id", filter=Q(status=AttemptStatus.PENDING_REVIEW)),
            undecided=Count("id", filter=Q(status=AttemptStatus.UNDECIDED)),
        )
    ):
        stats[row["student_id"]][row["item_id"]] = row
    maximum = round(sum(f.points for f in items.values()), 4)
    return {s: _grade(items, stats.get(s, {}), maximum) for s in students}


def _grade(items: dict[int, _ItemFacts], stats: dict[int, dict[str, Any]], maximum: float) -> Grade:
    if not stats:
        return Grade(None, maximum, "Initialized", "NotReady")
    scored = [
        row["best"] * items[item_id].points
        for item_id, row in stats.items()
        if row["best"] is not None
    ]
    pending = any(row["pending"] for row in stats.values())
    undecided = any(row["undecided"] and row["best"] is None for row in stats.values())
    done = all(_done(facts, stats.get(item_id)) for item_id, facts in items.items())
    activity = ("Submitted" if pending else "Completed") if done else "InProgress"
    grading = "PendingManual" if pending else "Pending" if undecided else "FullyGraded"
    given = round(sum(scored), 4) if scored else None
    return Grade(given, maximum, activity, grading)


def _done(facts: _ItemFacts, row: dict[str, Any] | None) -> bool:
    """The progress app's rule: right, or a reviewed item answered, or every try used."""
    if row is None:
        return False
    if row["correct"] or facts.type in REVIEWED_TYPES:
        return True
    return bool(facts.max_attempts) and row["tries"] >= (facts.max_attempts or 0)


# --- Recording changes ----------------------------------------------------------------------------


#: Pairs per ``lti.scores_changed`` message, and students per transaction of a refresh: a
#: regrade of a big class changes thousands of grades at once.
CHUNK = 500


def request_refresh(pairs: list[tuple[int, int]]) -> None:
    """Queue ``scores_refresh`` for these (student, item) pairs (after a commit)."""
    from gradebook.lti.tasks import scores_changed

    for start in range(0, len(pairs), CHUNK):
        scores_changed.delay([list(pair) for pair in pairs[start : start + CHUNK]])


def request_placement_refresh(placement_id: int, student_id: int) -> None:
    """Queue a refresh of one student's grade for one placement (after a launch)."""
    from gradebook.lti.tasks import placement_changed

    placement_changed.delay(placement_id, student_id)


def _placements_for(item_ids: set[int]) -> list[Placement]:
    lessons = set(Item.objects.filter(pk__in=item_ids).values_list("lesson_id", flat=True))
    return list(
        Placement.objects.filter(
            Q(target=Target.ITEM, item_id__in=item_ids)
            | Q(target=Target.LESSON, lesson_id__in=lessons)
        ).select_related("resource_link__context")
    )


def _platform_ids(placements: list[Placement], students: set[int]) -> dict[tuple[int, int], str]:
    """``{(context id, student id): sub}`` for students who are active members of a context."""
    contexts = {p.resource_link.context_id for p in placements}
    rows = LtiMembership.objects.filter(
        context_id__in=contexts, user__auth_user_id__in=students, is_active=True
    ).values_list("context_id", "user__auth_user_id", "user__sub")
    return {(context, student): sub for context, student, sub in rows}


def scores_refresh(
    pairs: Iterable[tuple[int, int]] = (),
    *,
    placement_students: Iterable[tuple[int, int]] = (),
) -> list[int]:
    """Recompute the grades these changes touch; record and return the rows to send.

    ``pairs`` are (student id, item id) whose grade changed; ``placement_students`` are
    (placement id, student id) to check whatever changed (a launch). Idempotent: a grade equal
    to the recorded one writes nothing.
    """
    wanted: dict[int, set[int]] = defaultdict(set)
    by_placement: dict[int, Placement] = {}
    pairs = list(pairs)
    if pairs:
        students = {s for s, _ in pairs}
        items = {i for _, i in pairs}
        for placement in _placements_for(items):
            covered = set(placement.items().values_list("pk", flat=True))
            by_placement[placement.pk] = placement
            wanted[placement.pk].update(s for s, i in pairs if i in covered and s in students)
    extra = list(placement_students)
    if extra:
        for placement in Placement.objects.filter(
            pk__in={p for p, _ in extra}, target__in=GRADED_TARGETS
        ).select_related("resource_link__context"):
            by_placement[placement.pk] = placement
            wanted[placement.pk].update(s for p, s in extra if p == placement.pk)
    if not wanted:
        return []
    subs = _platform_ids(list(by_placement.values()), {s for v in wanted.values() for s in v})
    changed: list[int] = []
    for placement_id, students in wanted.items():
        placement = by_placement[placement_id]
        context_id = placement.resource_link.context_id
        members = [(s, subs[(context_id, s)]) for s in sorted(students) if (context_id, s) in subs]
        for start in range(0, len(members), CHUNK):
            changed.extend(_record(placement, dict(members[start : start + CHUNK])))
    if changed:
        ids = list(changed)
        transaction.on_commit(lambda: publish_sends(ids), robust=True)
    return changed


def _record(placement: Placement, members: dict[int, str]) -> list[int]:
    """Write a new version for each member whose grade differs from the recorded one.

    The grades are computed under the rows' locks: a refresh that waited for another one reads
    the answers that one saw and more, so it can never write an older grade over a newer one.
    """
    changed = []
    with transaction.atomic():
        # Rows first (version 0: nothing to send), so that two refreshes of the same student
        # at once both find the row and take turns on its lock instead of both inserting it.
        ScoreSync.objects.bulk_create(
            [
                ScoreSync(
                    placement=placement,
                    student_id=student_id,
                    user_id_on_platform=sub,
                    status=SyncStatus.SENT,
                )
                for student_id, sub in members.items()
            ],
            ignore_conflicts=True,
        )
        rows = list(
            ScoreSync.objects.select_for_update().filter(
                placement=placement, student_id__in=list(members)
            )
        )
        grades = grades_for(placement, members)
        now = timezone.now()
        for row in rows:
            grade, sub = grades[row.student_id], members[row.student_id]
            if row.version and _same(row, grade, sub):
                continue
            # Each version is stamped later than the last, so the LMS never takes an older
            # value for a newer one, even two changes within one millisecond.
            stamp = now
            if row.version and stamp <= row.computed_at:
                stamp = row.computed_at + timedelta(milliseconds=1)
            row.user_id_on_platform = sub
            row.score_given = grade.score_given
            row.score_maximum = grade.score_maximum
            row.activity_progress = grade.activity_progress
            row.grading_progress = grade.grading_progress
            row.computed_at = stamp
            row.version += 1
            row.status = SyncStatus.PENDING
            row.tries = 0
            row.next_try_at = None
            row.last_error = ""
            row.save()
            changed.append(row.pk)
    return changed


def _same(row: ScoreSync, grade: Grade, sub: str) -> bool:
    given_same = (row.score_given is None and grade.score_given is None) or (
        row.score_given is not None
        and grade.score_given is not None
        and abs(row.score_given - grade.score_given) < 1e-9
    )
    return (
        given_same
        and abs(row.score_maximum - grade.score_maximum) < 1e-9
        and row.activity_progress == grade.activity_progress
        and row.grading_progress == grade.grading_progress
        and row.user_id_on_platform == sub
    )


def publish_sends(ids: Iterable[int]) -> None:
    from gradebook.lti.tasks import send_score

    for sync_id in ids:
        send_score.delay(sync_id)


# --- Sending --------------------------------------------------------------------------------------


def score_send(sync_id: int, *, now: Any = None) -> str:
    """Send the row's current version to the LMS; returns what happened.

    ``skipped``: nothing to send, or another sender holds the row (a duplicate delivery).
    ``sent``; ``failed`` (the LMS refused it for good). Raises ``RetryableSendError`` when
    trying again later can help (the row is left pending, with the error).
    """
    now = now or timezone.now()
    claimed = (
        ScoreSync.objects.filter(pk=sync_id, status=SyncStatus.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM_FOR, tries=F("tries") + 1)
    )
    if not claimed:
        return "skipped"
    row = ScoreSync.objects.select_related(
        "placement__line_item",
        "placement__resource_link__context__deployment__registration",
        "placement__course",
        "placement__lesson",
        "placement__item",
    ).get(pk=sync_id)
    version = row.version
    try:
        url = _line_item_url(row.placement)
        _post_score(row.placement, url, row.payload())
    except _Refused as refused:
        marked = ScoreSync.objects.filter(pk=sync_id, version=version).update(
            status=SyncStatus.FAILED, claimed_until=None, last_error=str(refused)[:2000]
        )
        log.warning("LMS refused score %s v%s: %s", sync_id, version, refused)
        if not marked:  # a newer version came in meanwhile: it deserves its own try
            _release(sync_id)
            publish_sends([sync_id])
        return "failed"
    except RetryableSendError as exc:
        delay = min(settings.LTI_RETRY_MAX_S, 2 ** min(row.tries, 12))
        ScoreSync.objects.filter(pk=sync_id).update(
            claimed_until=None,
            last_error=str(exc)[:2000],
            next_try_at=timezone.now() + timedelta(seconds=delay),
        )
        raise
    sent = ScoreSync.objects.filter(pk=sync_id, version=version).update(
        status=SyncStatus.SENT,
        sent_version=version,
        sent_at=timezone.now(),
        claimed_until=None,
        tries=0,
        next_try_at=None,
        last_error="",
    )
    if not sent:
        # A newer version was recorded while this one was on its way: its own send found the
        # row held and stepped back, so send it now.
        ScoreSync.objects.filter(pk=sync_id).update(sent_version=version, claimed_until=None)
        publish_sends([sync_id])
    return "sent"


def _release(sync_id: int) -> None:
    ScoreSync.objects.filter(pk=sync_id).update(claimed_until=None)


class _Refused(Exception):
    """The LMS answered with a refusal that trying again will not change."""


def _connector(placement: Placement) -> CachedTokenConnector:
    return CachedTokenConnector(placement.resource_link.context.deployment.registration)


def _call(connector: CachedTokenConnector, scopes: list[str], **request: Any) -> dict[str, Any]:
    """One service request, sorted into retryable failures and final refusals."""
    try:
        return connector.make_service_request(scopes, **request)
    except LtiServiceException as exc:
        status = exc.response.status_code
        body = exc.response.text[:500]
        if status in (401, 403):
            # A revoked or expired token, or our keys changed: a fresh token may pass.
            connector.forget_token(scopes)
            raise RetryableSendError(f"the LMS refused our token ({status}): {body}") from None
        if status == 429 or status >= 500:
            raise RetryableSendError(f"the LMS answered {status}: {body}") from None
        raise _Refused(f"the LMS answered {status}: {body}") from None
    except requests.RequestException as exc:
        raise RetryableSendError(f"could not reach the LMS: {exc}") from None


def _post_score(placement: Placement, url: str, payload: dict[str, Any]) -> None:
    scores_url = AssignmentsGradesService._add_url_path_ending(url, "scores")
    _call(
        _connector(placement),
        [AGS_SCORE_SCOPE],
        url=scores_url,
        is_post=True,
        data=json.dumps(payload),
        content_type=SCORE_CONTENT_TYPE,
    )


def _line_item_url(placement: Placement) -> str:
    """The placement's line item; found or made through AGS when the launch gave none."""
    if placement.line_item is not None:
        return placement.line_item.url
    context = placement.resource_link.context
    scopes = placement.ags_scopes or []
    if not context.lineitems_url or not (
        AGS_LINEITEM_SCOPE in scopes or AGS_LINEITEM_READ_SCOPE in scopes
    ):
        raise _Refused(
            "the LMS gave this link no gradebook column and no right to make one "
            "(enable grade passback for the tool in the LMS)"
        )
    from gradebook.lti import launches, targets

    ref = targets.TargetRef(
        placement.target, placement.course, lesson=placement.lesson, item=placement.item
    )
    wanted = (
        LineItem()
        .set_label(ref.title[:255])
        .set_score_maximum(ref.points())
        .set_resource_id(ref.code)
        .set_resource_link_id(placement.resource_link.id_on_platform)
        .set_tag("gradebook")
    )
    ags = AssignmentsGradesService(
        _connector(placement), {"scope": scopes, "lineitems": context.lineitems_url}
    )
    try:
        found = ags.find_or_create_lineitem(wanted, find_by="resource_link_id")
    except LtiServiceException as exc:
        status = exc.response.status_code
        if status == 429 or status >= 500 or status in (401, 403):
            raise RetryableSendError(f"the LMS answered {status} for line items") from None
        raise _Refused(f"the LMS refused to make a line item: {status}") from None
    except LtiException as exc:
        raise _Refused(f"the LMS refused to make a line item: {exc}") from None
    except requests.RequestException as exc:
        raise RetryableSendError(f"could not reach the LMS: {exc}") from None
    url = str(found.get_id() or "")
    if not url:
        raise _Refused("the LMS made a line item without an id")
    launches.attach_line_item(placement, url)
    return url


def scores_retry_failed(placement: Placement) -> int:
    """Put the placement's refused scores back in line (the teacher fixed the LMS side)."""
    ids = list(placement.score_syncs.filter(status=SyncStatus.FAILED).values_list("pk", flat=True))
    if ids:
        ScoreSync.objects.filter(pk__in=ids, status=SyncStatus.FAILED).update(
            status=SyncStatus.PENDING, tries=0, next_try_at=None
        )
        transaction.on_commit(lambda: publish_sends(ids), robust=True)
    return len(ids)


# --- The sweeper ----------------------------------------------------------------------------------

_MARK = "scores"


@dataclass
class SweepReport:
    checked_pairs: int = 0
    recorded: int = 0
    republished: int = 0


def scores_sweep(*, now: Any = None) -> SweepReport:
    """Catch what the fast path missed; resend rows whose retries ran out.

    Grade changes are found from the database (attempts submitted and grade history written
    since the last sweep, with an overlap for transactions that committed late), so a lost
    publish, a worker that died between commit and publish, or a placement made a moment ago
    in another process costs a delay, not a grade.
    """
    now = now or timezone.now()
    report = SweepReport()
    mark = SweepMark.objects.filter(name=_MARK).first()
    since = (
        mark.value - timedelta(seconds=settings.LTI_SWEEP_OVERLAP_S)
        if mark is not None
        else now - timedelta(seconds=settings.LTI_SWEEP_FIRST_LOOKBACK_S)
    )
    from gradebook.lti import placements

    placed = placements.placed_item_ids()
    if placed:
        placed_list = list(placed)
        pairs = set(
            Attempt.objects.filter(
                item_id__in=placed_list, submitted_at__gte=since, submitted_at__lte=now
            ).values_list("student_id", "item_id")
        )
        pairs |= set(
            GradeChange.objects.filter(
                attempt__item_id__in=placed_list, changed_at__gte=since, changed_at__lte=now
            ).values_list("attempt__student_id", "attempt__item_id")
        )
        report.checked_pairs = len(pairs)
        if pairs:
            report.recorded = len(scores_refresh(sorted(pairs)))
    SweepMark.objects.update_or_create(name=_MARK, defaults={"value": now})
    due = list(
        ScoreSync.objects.filter(status=SyncStatus.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        .filter(computed_at__lte=now - timedelta(seconds=settings.LTI_RESEND_AFTER_S))
        .values_list("pk", flat=True)[:5000]
    )
    if due:
        publish_sends(due)
        report.republished = len(due)
    return report
