"""``manage.py queue_status``: what a worker host's health check reads."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from exercises.models import GenerationJob

pytestmark = pytest.mark.django_db


def test_it_reports_the_queue_and_fails_when_a_job_waited_too_long(make_submission, alice, capsys):
    make_submission(alice)
    GenerationJob.objects.update(queued_at=timezone.now() - timedelta(seconds=900))

    call_command("queue_status")
    report = json.loads(capsys.readouterr().out)
    assert (report["jobs_queued"], report["jobs_running"], report["jobs_stale"]) == (2, 0, 0)
    assert report["oldest_queued_s"] >= 900

    with pytest.raises(CommandError, match="oldest queued job"):
        call_command("queue_status", "--max-wait", "600")


def test_a_running_job_with_a_stale_heartbeat_fails_the_check(make_submission, alice, capsys):
    make_submission(alice, kinds=("text",))
    GenerationJob.objects.update(
        status="running", heartbeat_at=timezone.now() - timedelta(minutes=10)
    )

    with pytest.raises(CommandError, match="1 running job"):
        call_command("queue_status", "--max-wait", "600")
