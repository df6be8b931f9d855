"""Exercise submissions and their generation jobs: every write that spans models.

The lifecycle of a job (the row is the source of truth, the Celery message only its id):

1. ``exercise_submit``: in one transaction, the attempt (``submit_answer``), the submission and
   one job per model; the student's quota of waiting jobs is counted under a row lock on the
   student, so concurrent submits cannot exceed it. The task is published on commit; a failed
   publish leaves the job queued for the sweeper.
2. ``jobs_run`` (the worker): claim with a conditional UPDATE, claim compatible queued jobs
   into one batch, run the runner, write files, then record outputs and success in one
   transaction guarded by the same condition, so a second delivery stores nothing twice.
3. ``jobs_sweep`` (periodic): re-queue running jobs whose heartbeat went stale and republish
   queued jobs nobody picked up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from exercises.models import (
    WAITING_STATUSES,
    ExerciseSubmission,
    GenerationJob,
    GenerationOutput,
    JobKind,
    JobStatus,
)
from exercises.runners.base import (
    GenerationError,
    ImageResult,
    ModelInfo,
    TextResult,
    get_runner,
)
from exercises.storage import delete_outputs, write_outputs
from exercises.validation import (
    CleanExercise,
    ExerciseInputError,
    clean_exercise,
    clean_reflection,
    exercise_models,
)

logger = logging.getLogger(__name__)


class QuotaExceeded(ExerciseInputError):
    """The student already has the most jobs waiting that one student may have."""

    code = "too_many_waiting_jobs"
    status = 429  # the student's own doing: their jobs are waiting

    def __init__(self, waiting: int, limit: int, *, retry_after: int = 60) -> None:
        super().__init__(
            {
                "form": _(
                    "You already have %(waiting)s generations waiting (at most %(limit)s at a "
                    "time). Wait for them to finish, then submit again."
                )
                % {"waiting": waiting, "limit": limit}
            },
            retry_after=retry_after,
        )


class QueueFull(ExerciseInputError):
    """The generation queue (the whole server's, or the course's share) is full: nothing was
    stored; ``retry_after`` is an estimate, in seconds, of when there will be room. Not the
    student's doing, so 503 rather than 429."""

    code = "generation_queue_full"
    status = 503

    def __init__(self, *, scope: str, waiting: int, limit: int, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        if scope == "course":
            text = _(
                "Your course already has %(waiting)s generations waiting, its limit. Nothing "
                "was sent; try again in about %(minutes)s minutes."
            )
        else:
            text = _(
                "The generation queue is full (%(waiting)s waiting). Nothing was sent; try "
                "again in about %(minutes)s minutes."
            )
        super().__init__(
            {"form": text % {"waiting": waiting, "minutes": minutes}}, retry_after=retry_after
        )
        self.scope, self.waiting, self.limit = scope, waiting, limit


class TransientJobError(Exception):
    """Trying the same job again later may work (the database went away mid-run)."""


def worker_name() -> str:
    """``host:pid`` of this process: lets a redelivered message see that its claimant died."""
    return f"{socket.gethostname()}:{os.getpid()}"


# --- 1. Submitting --------------------------------------------------------------------------


def estimate_wait_s(jobs_ahead: int) -> int:
    """Seconds until ``jobs_ahead`` more jobs have finished, at the rate jobs finished in the
    last ten minutes (a minute when nothing finished lately); between 10 s and 15 min."""
    if jobs_ahead <= 0:
        return 10
    since = timezone.now() - timedelta(minutes=10)
    finished = GenerationJob.objects.filter(finished_at__gte=since).count()
    seconds = jobs_ahead * 600 / finished if finished else 60
    return int(min(max(math.ceil(seconds), 10), 900))


def queue_state(*, course_id: int | None = None) -> QueueFull | None:
    """Why a new generation would be refused right now (the server's queue or the course's
    share is full), or ``None``. Read-only: the exercise page shows it before a submit."""
    waiting = GenerationJob.objects.filter(status__in=WAITING_STATUSES)
    total = waiting.count()
    limit = settings.GENERATION_MAX_QUEUED_JOBS
    if total >= limit:
        wait = estimate_wait_s(total - limit + 1)
        return QueueFull(scope="server", waiting=total, limit=limit, retry_after=wait)
    if course_id is not None:
        course_limit = settings.GENERATION_MAX_QUEUED_PER_COURSE
        in_course = waiting.filter(submission__attempt__item__course_id=course_id).count()
        if in_course >= course_limit:
            return QueueFull(
                scope="course",
                waiting=in_course,
                limit=course_limit,
                retry_after=estimate_wait_s(in_course - course_limit + 1),
            )
    return None


def _lock_quota(student: Any, new_jobs: int, *, course_id: int) -> None:
    """Count waiting jobs against the three caps: the student's (under a lock on their user
    row, so it is exact), the course's (under a lock on the course row, exact too) and the
    server's (counted, not locked: concurrent submits in different courses may overshoot it
    by a few jobs, which a queue bound to protect the workers can afford)."""
    from gradebook.courses.models import Course

    user_model = get_user_model()
    user_model.objects.select_for_update().filter(pk=student.pk).values_list("pk").first()
    waiting = GenerationJob.objects.filter(student=student, status__in=WAITING_STATUSES)
    mine = waiting.count()
    limit = settings.GENERATION_MAX_WAITING_JOBS
    if mine + new_jobs > limit:
        oldest = waiting.order_by("queued_at").first()
        ahead = 1
        if oldest is not None:
            ahead = GenerationJob.objects.filter(
                status__in=WAITING_STATUSES, queued_at__lte=oldest.queued_at
            ).count()
        raise QuotaExceeded(mine, limit, retry_after=estimate_wait_s(ahead))
    Course.objects.select_for_update().filter(pk=course_id).values_list("pk").first()
    full = queue_state(course_id=course_id)
    if full is None:
        total = GenerationJob.objects.filter(status__in=WAITING_STATUSES).count()
        if total + new_jobs > settings.GENERATION_MAX_QUEUED_JOBS:
            full = QueueFull(
                scope="server",
                waiting=total,
                limit=settings.GENERATION_MAX_QUEUED_JOBS,
                retry_after=estimate_wait_s(total + new_jobs - settings.GENERATION_MAX_QUEUED_JOBS),
            )
    if full is not None:
        raise full


def exercise_submit(
    *,
    student: Any,
    item: Any,
    prompt: Any,
    reflection: Any = "",
    settings_in: Any = None,
    idempotency_key: str | None = None,
) -> ExerciseSubmission:
    """Store an exercise attempt and queue one generation job per model of the exercise.

    Access is the caller's job (``quizzes.access.item_for_student``). Raises
    ``ExerciseInputError`` (bad prompt, reflection or settings; ``QuotaExceeded``) or the
    quizzes app's ``SubmitError``; nothing is stored then. The same idempotency key returns
    the first submission without queueing anything again.
    """
    from gradebook.quizzes.services import submit_answer

    if item.type != "exercise":
        raise ExerciseInputError({"item": f"Item {item.key!r} is not an exercise."})
    clean: CleanExercise = clean_exercise(
        item.spec, prompt=prompt, reflection=reflection, settings=settings_in
    )
    kinds = exercise_models(item.spec)
    key = (idempotency_key or "").strip()
    if key:
        earlier = ExerciseSubmission.objects.filter(
            attempt__student=student, attempt__idempotency_key=key, attempt__item=item
        ).first()
        if earlier is not None:  # a double submit: answer with the first one, queue nothing
            return earlier
    with transaction.atomic():
        _lock_quota(student, len(kinds), course_id=item.course_id)
        attempt = submit_answer(
            student=student, item=item, response=clean.response(), idempotency_key=idempotency_key
        )
        existing = ExerciseSubmission.objects.filter(attempt=attempt).first()
        if existing is not None:  # the same idempotency key again: nothing new to queue
            return existing
        submission = ExerciseSubmission.objects.create(
            attempt=attempt,
            prompt=clean.prompt,
            reflection=clean.reflection,
            settings=clean.settings,
        )
        jobs = [
            GenerationJob.objects.create(
                submission=submission,
                student=student,
                kind=kind,
                settings=clean.settings[kind],
                max_attempts=settings.GENERATION_MAX_ATTEMPTS,
            )
            for kind in kinds
        ]
        job_ids = [job.pk for job in jobs]
        transaction.on_commit(lambda: jobs_publish(job_ids))
    return submission


def submission_reflect(*, submission: ExerciseSubmission, reflection: Any) -> ExerciseSubmission:
    """Revise the reflection once the outputs are in (same attempt; the teacher sees the latest).

    Refused once a teacher has returned the attempt: the grade was given for what they read.
    """
    from gradebook.quizzes.models import AttemptStatus

    if submission.attempt.status == AttemptStatus.REVIEWED:
        raise ExerciseInputError(
            {
                "reflection": "Your teacher has already reviewed this submission; submit again "
                "to change your reflection."
            }
        )
    text = clean_reflection(submission.item.spec, reflection, required=True)
    with transaction.atomic():
        attempt = submission.attempt
        attempt.response = {**(attempt.response or {}), "reflection": text}
        attempt.save(update_fields=["response"])
        submission.reflection = text
        submission.save(update_fields=["reflection"])
    return submission


def job_retry(*, job: GenerationJob) -> GenerationJob:
    """Queue a failed job again with a fresh attempt budget (counts against the quota)."""
    with transaction.atomic():
        _lock_quota(job.student, 1, course_id=job.submission.attempt.item.course_id)
        updated = GenerationJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
            status=JobStatus.QUEUED,
            attempts=0,
            error="",
            error_detail="",
            worker="",
            progress_step=0,
            heartbeat_at=None,
            started_at=None,
            finished_at=None,
            last_published_at=None,
            queued_at=timezone.now(),
        )
        if not updated:
            raise ExerciseInputError({"form": "Only a failed generation can be retried."})
        transaction.on_commit(lambda: jobs_publish([job.pk]))
    job.refresh_from_db()
    return job


def jobs_publish(job_ids: Iterable[int]) -> list[int]:
    """Send one task per job; returns the ids published. A broker outage is logged, not raised:
    the jobs stay queued in the database and the sweeper publishes them later."""
    from exercises.tasks import run_generation_job

    published = []
    for job_id in job_ids:
        try:
            run_generation_job.apply_async(
                args=[job_id],
                retry=True,
                retry_policy={
                    "max_retries": 1,
                    "interval_start": 0,
                    "interval_step": 0.5,
                    "interval_max": 0.5,
                },
            )
        except Exception as exc:  # kombu raises several types when the broker is unreachable
            logger.warning(
                "could not publish generation job %s (the sweeper will): %s", job_id, exc
            )
            continue
        published.append(job_id)
    if published:
        GenerationJob.objects.filter(pk__in=published).update(last_published_at=timezone.now())
    return published


# --- 2. Running (worker side) --------------------------------------------------------------


def _claim_update(queryset: Any, *, worker: str, now: Any) -> int:
    return queryset.update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        worker=worker,
        started_at=now,
        heartbeat_at=now,
        progress_step=0,
        progress_total=0,
        error="",
        error_detail="",
    )


def job_claim(job_id: int, *, worker: str) -> GenerationJob | None:
    """Take a job for this worker, or ``None`` when there is nothing to do (a duplicate
    delivery, a job already finished, or a claim still held by a live worker)."""
    now = timezone.now()
    base = GenerationJob.objects.filter(pk=job_id)
    if _claim_update(
        base.filter(status=JobStatus.QUEUED, attempts__lt=F("max_attempts")), worker=worker, now=now
    ):
        return base.select_related("submission").get()
    job = base.first()
    if job is None or not job.claim_is_abandoned(now=now):
        if job is not None and job.status == JobStatus.QUEUED:
            _fail_exhausted(job)
        return None
    if job.attempts >= job.max_attempts:
        _fail_exhausted(job)
        return None
    taken = _claim_update(
        base.filter(status=JobStatus.RUNNING, attempts=job.attempts, worker=job.worker),
        worker=worker,
        now=now,
    )
    return base.select_related("submission").get() if taken else None


def _fail_exhausted(job: GenerationJob) -> None:
    if job.attempts < job.max_attempts:
        return
    GenerationJob.objects.filter(
        pk=job.pk, status__in=WAITING_STATUSES, attempts=job.attempts
    ).update(
        status=JobStatus.FAILED,
        error=(
            f"The generation stopped {job.attempts} times before finishing, so it was "
            "given up. You can try again; if it keeps failing, tell your teacher."
        ),
        error_detail="attempt limit reached (worker lost or timed out on every attempt)",
        finished_at=timezone.now(),
    )


def _claim_companions(lead: GenerationJob, *, worker: str) -> list[GenerationJob]:
    """Claim up to GENERATION_BATCH_SIZE - 1 more queued jobs that can share ``lead``'s batch."""
    room = settings.GENERATION_BATCH_SIZE - 1
    if room <= 0:
        return []
    key = lead.batch_key()
    candidates = (
        GenerationJob.objects.filter(
            status=JobStatus.QUEUED, kind=lead.kind, attempts__lt=F("max_attempts")
        )
        .exclude(pk=lead.pk)
        .select_related("submission")
        .order_by("queued_at", "id")[: room * 4]
    )
    companions = []
    now = timezone.now()
    for job in candidates:
        if len(companions) >= room:
            break
        if job.batch_key() != key:
            continue
        if _claim_update(
            GenerationJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED, attempts=job.attempts),
            worker=worker,
            now=now,
        ):
            job.refresh_from_db()
            companions.append(job)
    return companions


class _Heartbeat:
    """Keeps ``heartbeat_at`` fresh from a thread while the main thread runs the model, and
    records progress (step k of n) from the runner's callback at most a few times a second."""

    def __init__(self, jobs: list[GenerationJob], worker: str) -> None:
        self.ids = [job.pk for job in jobs]
        self.worker = worker
        self.stop = threading.Event()
        self.last_progress = 0.0
        self.thread = threading.Thread(target=self._loop, name="job-heartbeat", daemon=True)

    def _beat(self, **fields: Any) -> None:
        GenerationJob.objects.filter(
            pk__in=self.ids, status=JobStatus.RUNNING, worker=self.worker
        ).update(heartbeat_at=timezone.now(), **fields)

    def _loop(self) -> None:
        try:
            while not self.stop.wait(settings.GENERATION_HEARTBEAT_S):
                try:
                    self._beat()
                except DatabaseError as exc:
                    logger.warning("heartbeat failed: %s", exc)
        finally:
            connection.close()

    def progress(self, step: int, total: int) -> None:
        now = time.monotonic()
        if step < total and now - self.last_progress < 0.25:
            return
        self.last_progress = now
        self._beat(progress_step=step, progress_total=total)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def jobs_run(job_id: int, *, worker: str | None = None) -> list[int]:
    """Run job ``job_id`` and any compatible queued jobs as one batch; returns the ids that
    succeeded. A job this worker cannot claim is left alone (returns ``[]``)."""
    worker = worker or worker_name()
    lead = job_claim(job_id, worker=worker)
    if lead is None:
        return []
    batch = [lead, *_claim_companions(lead, worker=worker)]
    started = time.perf_counter()
    try:
        with _Heartbeat(batch, worker) as heartbeat:
            loading = time.perf_counter()
            runner = get_runner(lead.kind)
            load_seconds = time.perf_counter() - loading
            _record_model(batch, runner.info)
            results = runner.run_batch(
                [job.request() for job in batch], progress=heartbeat.progress
            )
    except GenerationError as exc:
        for job in batch:
            job.mark_failed(exc.message, detail=exc.detail)
        logger.warning("generation jobs %s failed: %s", [j.pk for j in batch], exc.detail)
        return []
    except DatabaseError as exc:
        for job in batch:
            # If even this fails, the sweeper re-queues the job once its heartbeat is stale.
            with contextlib.suppress(DatabaseError):
                job.release()
        raise TransientJobError(str(exc)) from exc
    except Exception as exc:
        # A bug or a library error nobody foresaw: fail the jobs with a plain message (the
        # operator's detail keeps the exception) rather than retrying something that will
        # fail the same way.
        for job in batch:
            job.mark_failed(
                "The generation failed unexpectedly; the staff can see why. You can try again.",
                detail=f"{type(exc).__name__}: {exc}",
            )
        logger.exception("generation jobs %s crashed", [j.pk for j in batch])
        return []
    run_seconds = time.perf_counter() - started
    succeeded = []
    for job, result in zip(batch, results, strict=True):
        timings = {
            "batch_size": len(batch),
            "model_load_seconds": round(load_seconds, 4),
            "run_seconds": round(run_seconds, 4),
            **result.timings,
        }
        try:
            if job_store_result(job, result, timings=timings):
                succeeded.append(job.pk)
        except GenerationError as exc:
            job.mark_failed(exc.message, detail=exc.detail)
    return succeeded


def _record_model(batch: list[GenerationJob], info: ModelInfo) -> None:
    from exercises.reproduce import environment

    GenerationJob.objects.filter(pk__in=[j.pk for j in batch]).update(
        device=f"{info.device} ({info.dtype})",
        model_id=info.model_id[:300],
        model_revision=info.revision[:100],
        environment=environment(info),
        untrained_model=info.untrained,
    )


def _files_for(
    job: GenerationJob, result: TextResult | ImageResult
) -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    if isinstance(result, TextResult):
        meta = {
            "text": result.text,
            "scoreboard": result.scoreboard(),
            "prompt_tokens": result.prompt_tokens,
            "stop_reason": result.stop_reason,
            "used_chat_template": result.used_chat_template,
            "seed": result.seed,
            "settings": result.settings,
        }
        return [("text.json", json.dumps(meta, ensure_ascii=False).encode())], meta
    files = [("image.png", result.png)]
    files += [(f"frame-{step:03d}.png", png) for step, png in result.frames]
    meta = {
        "seed": result.seed,
        "steps": result.steps,
        "guidance_scale": result.guidance_scale,
        "size": result.size,
        "latent_shape": result.latent_shape,
        "spatial_factor": result.spatial_factor,
        "compression_ratio": result.compression_ratio,
        "step_seconds": result.step_seconds,
        "seconds_per_step": round(sum(result.step_seconds) / max(len(result.step_seconds), 1), 5),
        "frames": [step for step, _ in result.frames],
    }
    return files, meta


def job_store_result(
    job: GenerationJob, result: TextResult | ImageResult, *, timings: dict[str, Any]
) -> bool:
    """Write the output files, then record them and the job's success in one transaction.

    Only the claim that ran the job may record it (status running, same attempt number): if
    the job was re-queued and taken over meanwhile, this run's files are deleted and nothing
    is recorded. Returns whether this run's outputs were stored.
    """
    files, meta = _files_for(job, result)
    # A random folder name: should MEDIA_ROOT ever be exposed by a misconfigured proxy, the
    # files still cannot be walked by counting job ids.
    names = write_outputs(
        f"generations/{secrets.token_urlsafe(16)}/job-{job.pk}/attempt-{job.attempts}", files
    )
    try:
        with transaction.atomic():
            now = timezone.now()
            queued = job.queued_at
            won = GenerationJob.objects.filter(
                pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts
            ).update(
                status=JobStatus.SUCCEEDED,
                finished_at=now,
                heartbeat_at=now,
                progress_step=F("progress_total"),
                result=meta,
                timings={
                    **timings,
                    "queue_seconds": round((job.started_at - queued).total_seconds(), 4),
                    "total_seconds": round((now - queued).total_seconds(), 4),
                },
            )
            if not won:
                raise _LostClaim
            outputs = []
            if isinstance(result, TextResult):
                outputs.append(
                    GenerationOutput(
                        job=job,
                        kind=GenerationOutput.Kind.TEXT,
                        step=0,
                        file=names[0],
                        text=result.text,
                        metadata={"tokens": len(result.tokens)},
                    )
                )
            else:
                outputs.append(
                    GenerationOutput(
                        job=job,
                        kind=GenerationOutput.Kind.IMAGE,
                        step=0,
                        file=names[0],
                        metadata={"size": result.size},
                    )
                )
                outputs += [
                    GenerationOutput(
                        job=job,
                        kind=GenerationOutput.Kind.FRAME,
                        step=step,
                        file=name,
                        metadata={"of_steps": result.steps},
                    )
                    for (step, _), name in zip(result.frames, names[1:], strict=True)
                ]
            GenerationOutput.objects.bulk_create(outputs)
    except _LostClaim:
        delete_outputs(names)
        return False
    except BaseException:
        delete_outputs(names)
        raise
    return True


class _LostClaim(Exception):
    pass


# --- 3. Sweeping ------------------------------------------------------------------------------


@dataclass
class SweepReport:
    requeued: list[int]
    failed: list[int]
    published: list[int]


def jobs_sweep(*, now: Any = None) -> SweepReport:
    """Re-queue jobs whose worker died and republish queued jobs nobody picked up."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.GENERATION_STALE_AFTER_S)
    requeued, failed = [], []
    stale = GenerationJob.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=stale_before) | Q(heartbeat_at__isnull=True)
    )
    for job in stale:
        if job.attempts >= job.max_attempts:
            _fail_exhausted(job)
            failed.append(job.pk)
        elif GenerationJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts, worker=job.worker
        ).update(status=JobStatus.QUEUED, worker="", heartbeat_at=None, last_published_at=None):
            requeued.append(job.pk)
    republish_before = now - timedelta(seconds=settings.GENERATION_REQUEUE_AFTER_S)
    waiting = list(
        GenerationJob.objects.filter(status=JobStatus.QUEUED)
        .filter(Q(last_published_at__isnull=True) | Q(last_published_at__lt=republish_before))
        .values_list("pk", flat=True)
    )
    published = jobs_publish(waiting) if waiting else []
    if requeued or failed or published:
        logger.info("sweep: requeued %s, failed %s, published %s", requeued, failed, published)
    return SweepReport(requeued=requeued, failed=failed, published=published)


# --- Reads used by the pages and the API ------------------------------------------------------


def submission_state(submission: ExerciseSubmission) -> dict[str, Any]:
    """The small JSON the submission page polls: each job's state and progress."""
    jobs = []
    for job in submission.jobs.all():
        jobs.append(
            {
                "id": job.pk,
                "kind": job.kind,
                "status": job.status,
                "progress_step": job.progress_step,
                "progress_total": job.progress_total,
                "attempts": job.attempts,
                "error": job.error,
                "untrained_model": job.untrained_model,
            }
        )
    return {
        "submission": submission.pk,
        "finished": all(j["status"] in (JobStatus.SUCCEEDED, JobStatus.FAILED) for j in jobs),
        "jobs": jobs,
    }


__all__ = [
    "ExerciseInputError",
    "JobKind",
    "QueueFull",
    "QuotaExceeded",
    "TransientJobError",
    "exercise_submit",
    "job_claim",
    "job_retry",
    "jobs_publish",
    "jobs_run",
    "jobs_sweep",
    "queue_state",
    "submission_reflect",
    "submission_state",
]
