"""The worker path in-process: claim, batch, run the tiny models, store, sweep.

Everything here runs the real runners on the real database; only faults that cannot be
produced on demand (out of memory, a full disk) are injected at the point where they happen.
"""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from exercises import services
from exercises.models import GenerationJob, GenerationOutput, JobStatus
from exercises.runners import base as runner_base
from tests.exercises.conftest import published_job_ids

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_job_runs_and_stores_text_with_its_scoreboard(alice, make_submission, settings):
    submission = make_submission(alice, kinds=("text",))
    job = submission.jobs.get()
    assert services.jobs_run(job.pk, worker="test:1") == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 1
    assert job.untrained_model is True
    assert job.device.startswith("cpu")
    # A random seed may sample the end-of-sequence token early: one row per generated token.
    scoreboard = job.result["scoreboard"]
    if job.result["stop_reason"] == "length":
        assert len(scoreboard) == job.settings["max_new_tokens"]
    else:
        assert 1 <= len(scoreboard) <= job.settings["max_new_tokens"]
    assert len(scoreboard[0]["candidates"]) == 5
    assert job.result["seed"] == job.settings["seed"]
    assert job.timings["queue_seconds"] >= 0
    output = job.outputs.get()
    assert output.text == job.result["text"]
    assert Path(output.file.path).read_bytes().startswith(b"{")


def test_an_image_job_stores_the_png_and_its_filmstrip(alice, make_submission, settings):
    submission = make_submission(alice, kinds=("image",))
    job = submission.jobs.get()
    services.jobs_run(job.pk, worker="test:1")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_detail
    assert job.result["compression_ratio"] == 48
    assert job.result["latent_shape"] == [4, 8, 8]
    kinds = list(job.outputs.values_list("kind", "step"))
    assert kinds == [("frame", 1), ("frame", 2), ("frame", 3), ("frame", 4), ("image", 0)]
    media = files_under(Path(settings.MEDIA_ROOT))
    assert len(media) == 5 and not any(p.name.endswith(".tmp") for p in media)


def test_a_second_delivery_stores_nothing_twice(alice, make_submission):
    job = make_submission(alice, kinds=("text",)).jobs.get()
    services.jobs_run(job.pk, worker="test:1")
    assert services.jobs_run(job.pk, worker="test:2") == []
    job.refresh_from_db()
    assert job.attempts == 1
    assert GenerationOutput.objects.filter(job=job).count() == 1


def test_queued_compatible_jobs_run_as_one_batch_each_with_its_seed(alice, bob, make_submission):
    jobs = [
        make_submission(student, prompt=f"prompt {i}", kinds=("text",)).jobs.get()
        for i, student in enumerate([alice, bob, alice])
    ]
    stored = services.jobs_run(jobs[0].pk, worker="test:1")
    assert sorted(stored) == sorted(j.pk for j in jobs)
    for job in GenerationJob.objects.filter(pk__in=stored):
        assert job.timings["batch_size"] == 3
        assert job.result["seed"] == job.settings["seed"]
    # The other jobs' own messages arrive later and find nothing to do.
    assert services.jobs_run(jobs[1].pk, worker="test:1") == []


def test_image_jobs_with_different_sizes_are_not_batched(alice, make_submission):
    small = make_submission(alice, kinds=("image",)).jobs.get()
    large = make_submission(alice, settings_in={"image": {"size": 128}}, kinds=("image",))
    large = large.jobs.get()
    assert services.jobs_run(small.pk, worker="test:1") == [small.pk]
    large.refresh_from_db()
    assert large.status == JobStatus.QUEUED


def test_the_batch_never_exceeds_the_configured_size(alice, bob, make_submission, settings):
    settings.GENERATION_BATCH_SIZE = 2
    jobs = [make_submission(s, kinds=("text",)).jobs.get() for s in (alice, bob, alice)]
    assert len(services.jobs_run(jobs[0].pk, worker="test:1")) == 2
    assert GenerationJob.objects.filter(status=JobStatus.QUEUED).count() == 1


def test_a_model_that_cannot_load_fails_the_job_clearly_and_it_can_be_retried(
    alice, make_submission, settings, tmp_path
):
    good = settings.TEXT_MODEL
    settings.TEXT_MODEL = str(tmp_path / "no-such-model")
    job = make_submission(alice, kinds=("text",)).jobs.get()
    assert services.jobs_run(job.pk, worker="test:1") == []
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "could not be loaded" in job.error
    assert "no-such-model" in job.error_detail
    settings.TEXT_MODEL = good
    services.job_retry(job=job)
    assert services.jobs_run(job.pk, worker="test:1") == [job.pk]


def test_out_of_memory_fails_the_batch_with_a_message_a_student_understands(
    alice, make_submission, monkeypatch
):
    import torch

    job = make_submission(alice, kinds=("text",)).jobs.get()
    runner = runner_base.get_runner("text")

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(runner.model, "forward", exhausted)
    services.jobs_run(job.pk, worker="test:1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "ran out of memory" in job.error
    assert "2.00 GiB" in job.error_detail


def test_a_full_disk_fails_the_job_and_leaves_no_temporary_file(
    alice, make_submission, monkeypatch, settings
):
    from exercises import storage

    real_write = storage._write_file

    def write_then_fill_up(path, data):
        real_write(path, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "_write_file", write_then_fill_up)
    job = make_submission(alice, kinds=("image",)).jobs.get()
    services.jobs_run(job.pk, worker="test:1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "ran out of space" in job.error
    assert files_under(Path(settings.MEDIA_ROOT)) == []
    assert job.outputs.count() == 0


def test_a_claim_held_by_a_live_worker_is_left_alone(alice, make_submission):
    job = make_submission(alice, kinds=("text",)).jobs.get()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, worker="other-host:1", heartbeat_at=timezone.now()
    )
    assert services.job_claim(job.pk, worker="test:1") is None


def test_a_claim_of_a_dead_local_process_is_taken_over_at_once(alice, make_submission):
    import socket
    import subprocess

    dead_pid = subprocess.Popen(["true"])
    dead_pid.wait()
    job = make_submission(alice, kinds=("text",)).jobs.get()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now(),
        worker=f"{socket.gethostname()}:{dead_pid.pid}",
    )
    claimed = services.job_claim(job.pk, worker="test:1")
    assert claimed is not None and claimed.attempts == 2


def test_the_sweeper_requeues_a_job_whose_heartbeat_went_stale(
    alice, make_submission, settings, memory_broker
):
    job = make_submission(alice, kinds=("text",)).jobs.get()
    stale = timezone.now() - timedelta(seconds=settings.GENERATION_STALE_AFTER_S + 5)
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=1, worker="gone:1", heartbeat_at=stale
    )
    report = services.jobs_sweep(now=timezone.now())
    assert report.requeued == [job.pk]
    assert report.published == [job.pk]
    assert published_job_ids(memory_broker) == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert services.jobs_run(job.pk, worker="test:1") == [job.pk]
    job.refresh_from_db()
    assert job.attempts == 2


def test_the_sweeper_gives_up_after_the_attempt_limit(alice, make_submission, settings):
    job = make_submission(alice, kinds=("text",)).jobs.get()
    GenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=job.max_attempts,
        worker="gone:1",
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    assert services.jobs_sweep().failed == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert f"stopped {job.max_attempts} times" in job.error


def test_a_result_from_a_run_that_lost_its_claim_is_thrown_away(alice, make_submission, settings):
    job = make_submission(alice, kinds=("text",)).jobs.get()
    claimed = services.job_claim(job.pk, worker="test:1")
    runner = runner_base.get_runner("text")
    [result] = runner.run_batch([claimed.request()])
    # Meanwhile the sweeper decided the worker was dead and another worker took the job.
    GenerationJob.objects.filter(pk=job.pk).update(attempts=2, worker="test:2")
    assert services.job_store_result(claimed, result, timings={}) is False
    assert job.outputs.count() == 0
    assert files_under(Path(settings.MEDIA_ROOT)) == []
