"""Celery tasks for generation: thin shells over ``exercises.services``.

This module is imported by the web process (to publish) and by workers (to run), so it never
imports torch, transformers or diffusers at module level. Models are loaded in each prefork
child by ``worker_process_init`` (never in the parent: CUDA breaks in forked children if the
parent touched it, celery#3402), and only by workers that consume the ``gpu`` queue.

Delivery guarantees (docs/deploy.md, "Upgrading without losing queued jobs"): ``acks_late``
and ``reject_on_worker_lost`` make a killed child's message come back; the attempt counter in
the job row stops a job that always kills its worker from looping. Retries with backoff are
for transient errors only (``TransientJobError``: the database went away); soft and hard time
limits come from settings (CELERY_TASK_ANNOTATIONS) and stay below the Redis visibility timeout.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import celeryd_after_setup, worker_process_init

from exercises import services

logger = logging.getLogger(__name__)

GPU_QUEUE = "gpu"
#: Set in the worker parent when it consumes the gpu queue; inherited by forked children.
_warm_models = False


@celeryd_after_setup.connect
def _note_gpu_queue(sender: str, instance: Any, conf: Any, **kwargs: Any) -> None:
    global _warm_models
    queues = instance.app.amqp.queues.consume_from or instance.app.amqp.queues
    _warm_models = GPU_QUEUE in queues
    if _warm_models and os.environ.get("GENERATION_PREIMPORT", "1") != "0":
        # Import (never load, never touch CUDA) the model libraries once in the parent, so a
        # child replacing a crashed one forks with them ready instead of spending 5-15 s
        # importing them before it can take the redelivered job. No weights, no device here.
        _passive_omp()
        import diffusers  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401


def _passive_omp() -> None:
    # OpenMP threads that spin while waiting made SmolLM2 5-10x slower when other processes
    # shared the CPUs (docs/benchmarks.md); passive waiting costs nothing on an idle host.
    # Read once when OpenMP starts, so it is set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@worker_process_init.connect
def _load_models_in_child(**kwargs: Any) -> None:
    # A hub id must fail at once with a clear error, not hang on an unreachable network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not _warm_models:
        return
    _passive_omp()
    from django.conf import settings

    from exercises.runners.base import warm_up

    if settings.GENERATION_TORCH_THREADS > 0:
        import torch

        torch.set_num_threads(settings.GENERATION_TORCH_THREADS)

    report = warm_up()
    logger.info("generation models in worker child %s: %s", os.getpid(), report)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(services.TransientJobError,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def run_generation_job(self: Any, job_id: int) -> list[int]:
    """Run one generation job (and compatible queued ones as a batch); returns stored ids."""
    try:
        return services.jobs_run(int(job_id))
    except SoftTimeLimitExceeded:
        from exercises.models import GenerationJob, JobStatus

        for job in GenerationJob.objects.filter(
            status=JobStatus.RUNNING, worker=services.worker_name()
        ):
            job.mark_failed(
                "The generation took longer than the time limit and was stopped. "
                "Try fewer steps or tokens.",
                detail="soft time limit exceeded",
            )
        return []


@shared_task(ignore_result=True)
def sweep_generation_jobs() -> dict[str, list[int]]:
    """Periodic (celery beat): re-queue abandoned jobs and republish unpublished ones."""
    report = services.jobs_sweep()
    return {"requeued": report.requeued, "failed": report.failed, "published": report.published}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_rerun(rerun_id: int) -> str:
    """Re-run a finished job and compare its outputs (``exercises.reruns``); idempotent."""
    from exercises.reruns import rerun_execute

    rerun = rerun_execute(int(rerun_id))
    return "skipped" if rerun is None else f"{rerun.status} {rerun.verdict}".strip()
