"""Celery tasks of the grades app (default queue): each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task

from gradebook.grades import services


@shared_task(name="grades.compute_regrade_preview", acks_late=True, ignore_result=True)
def compute_regrade_preview(run_id: int) -> str:
    """Compute a regrade preview. A duplicate delivery finds the run claimed and does nothing.

    No automatic retry: a failure marks the run failed with its error (the service does
    that), and the teacher starts a new preview once the cause is fixed. A worker that dies
    mid-run leaves a stale claim that the next delivery (or a new preview) takes over.
    """
    run = services.regrade_compute_preview(run_id)
    return "skipped" if run is None else run.status


@shared_task(
    name="grades.sync_regrade_progress",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def sync_regrade_progress(run_id: int) -> int:
    """XP follows an applied regrade. Idempotent, so retries and duplicates are safe."""
    return services.regrade_sync_progress(run_id)
