"""``manage.py queue_status``: what waits where (generation jobs, LTI scores, broker queues).

For monitoring and for a worker host's health check: ``--max-wait 600`` exits 1 when the
oldest queued generation job has waited longer than that or a running job's heartbeat is
stale (a gpu worker died and the sweeper has not re-queued it yet), which is when more gpu
workers are needed or one is stuck. See docs/deploy.md.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gradebook.health import queue_report


class Command(BaseCommand):
    help = "Report queued and running generation jobs, pending LTI scores and broker queues."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--max-wait",
            type=float,
            default=0,
            help="exit 1 if the oldest queued job waited longer (seconds) or a job is stale",
        )

    def handle(self, *args: Any, max_wait: float = 0, **options: Any) -> None:
        report = queue_report()
        self.stdout.write(json.dumps(report))
        if max_wait and (report["oldest_queued_s"] > max_wait or report["jobs_stale"]):
            raise CommandError(
                f"generation queue unhealthy: oldest queued job {report['oldest_queued_s']} s, "
                f"{report['jobs_stale']} running job(s) with a stale heartbeat"
            )
