"""Re-running a finished job to check its outputs: who may ask, and the run itself.

A teacher of the course may re-run any finished job of it; a student may re-run their own
only once they have appealed the attempt (the re-run is evidence for the appeal). One re-run per
job waits at a time. The run happens on a GPU worker (the ``gpu`` queue) with the job's own
request (prompt, settings, seed) and compares its outputs with the stored ones
(``exercises.reproduce``); nothing the student was given changes.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exercises.models import GenerationJob, GenerationOutput, JobStatus, Rerun, RerunStatus
from gradebook.refusals import Refusal

logger = logging.getLogger(__name__)


class RerunRefused(Refusal):
    status = 409


def may_rerun(user: Any, job: GenerationJob) -> bool:
    """Whether ``user`` may ask for a re-run of ``job`` (for showing the button)."""
    if not getattr(user, "is_authenticated", False):
        return False
    course = job.submission.attempt.item.course
    if user.is_superuser or course.is_taught_by(user):
        return True
    return job.student_id == user.pk and job.submission.attempt.appeals.exists()


def rerun_request(*, job: GenerationJob, by: Any) -> Rerun:
    if not may_rerun(by, job):
        raise RerunRefused(
            _("A re-run is for the course's teachers, or for the student once they appeal."),
            code="forbidden",
            status=403,
        )
    if job.status != JobStatus.SUCCEEDED:
        raise RerunRefused(_("Only a finished job can be re-run."), code="not_finished")
    with transaction.atomic():
        GenerationJob.objects.select_for_update().filter(pk=job.pk).values_list("pk").first()
        if job.reruns.filter(status__in=[RerunStatus.QUEUED, RerunStatus.RUNNING]).exists():
            raise RerunRefused(_("A re-run of this job is already waiting."), code="rerun_waiting")
        rerun = Rerun.objects.create(job=job, requested_by=by)
        transaction.on_commit(lambda: _publish(rerun.pk))
    return rerun


def _publish(rerun_id: int) -> None:
    from exercises.tasks import run_rerun

    try:
        run_rerun.delay(rerun_id)
    except Exception:  # the broker is down: the rerun stays queued and can be asked again
        logger.exception("could not publish rerun %s", rerun_id)


def _original_image(job: GenerationJob) -> bytes | None:
    out = job.outputs.filter(kind=GenerationOutput.Kind.IMAGE).first()
    if out is None or not out.file:
        return None
    with out.file.open("rb") as fh:
        return fh.read()


def rerun_execute(rerun_id: int) -> Rerun | None:
    """Run the re-run ``rerun_id`` if it is still queued (a second delivery does nothing)."""
    from exercises import reproduce
    from exercises.runners.base import get_runner
    from exercises.services import _files_for

    claimed = Rerun.objects.filter(pk=rerun_id, status=RerunStatus.QUEUED).update(
        status=RerunStatus.RUNNING
    )
    if not claimed:
        return None
    rerun = Rerun.objects.select_related("job", "job__submission").get(pk=rerun_id)
    job = rerun.job
    try:
        runner = get_runner(job.kind)
        env = reproduce.environment(runner.info)
        [result] = runner.run_batch([job.request()])
        _, meta = _files_for(job, result)
        notes = reproduce.environment_changes(job.environment or {}, env)
        batch = int((job.timings or {}).get("batch_size") or 1)
        if batch != 1:
            notes.append(f"the job ran in a batch of {batch}; the re-run alone")
        same = not notes
        if job.kind == "text":
            comparison = reproduce.compare_text(job.result or {}, meta, same_runtime=same)
        else:
            original = _original_image(job)
            if original is None:
                comparison = reproduce.Comparison("differs", ["the stored image is missing"])
            else:
                comparison = reproduce.compare_png(original, result.png, same_runtime=same)
            if list(meta["latent_shape"]) != list((job.result or {}).get("latent_shape") or []):
                comparison = reproduce.combine(
                    [comparison, reproduce.Comparison("differs", ["the latent shape changed"])]
                )
    except Exception as exc:  # a model that no longer loads, a library error: say so
        Rerun.objects.filter(pk=rerun_id).update(
            status=RerunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        logger.exception("rerun %s failed", rerun_id)
        rerun.refresh_from_db()
        return rerun
    rerun.environment = env
    rerun.verdict = comparison.verdict
    rerun.differences = [*comparison.differences, *notes]
    rerun.measures = comparison.measures
    rerun.status = RerunStatus.DONE
    rerun.finished_at = timezone.now()
    rerun.save(
        update_fields=[
            "environment",
            "verdict",
            "differences",
            "measures",
            "status",
            "finished_at",
        ]
    )
    return rerun
