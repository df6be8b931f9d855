"""Celery tasks of the LTI app (default queue): each takes ids and calls one service.

Sends are idempotent (a row is claimed with a conditional UPDATE and a version is sent at most
once per success), so ``acks_late`` redeliveries and retries are safe.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from gradebook.lti import roster, scores


@shared_task(
    name="lti.scores_changed",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def scores_changed(pairs: list[list[int]]) -> int:
    """Recompute the LMS grades these (student, item) pairs touch; queue the changed ones."""
    return len(scores.scores_refresh([(int(s), int(i)) for s, i in pairs]))


@shared_task(
    name="lti.placement_changed",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def placement_changed(placement_id: int, student_id: int) -> int:
    """Recompute one student's grade for one placement (after their launch)."""
    return len(scores.scores_refresh(placement_students=[(int(placement_id), int(student_id))]))


@shared_task(
    name="lti.send_score",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(scores.RetryableSendError, OperationalError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_score(sync_id: int) -> str:
    """Send one score row's current version; after the retries, the sweeper takes over."""
    return scores.score_send(int(sync_id))


@shared_task(name="lti.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """Periodic (celery beat): find missed grade changes, resend stuck scores, drop old nonces."""
    report = scores.scores_sweep()
    purged = roster.nonces_purge()
    return {
        "checked_pairs": report.checked_pairs,
        "recorded": report.recorded,
        "republished": report.republished,
        "nonces_purged": purged,
    }


@shared_task(name="lti.sync_roster", acks_late=True, ignore_result=True)
def sync_roster(context_id: int) -> str:
    """Fetch an LMS context's members (NRPS) and bring accounts and enrolments in line."""
    return roster.roster_sync(int(context_id))
