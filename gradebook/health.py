"""Health checks for load balancers and process supervisors (docs/deploy.md).

- ``/healthz``: liveness. The process answers; nothing else is touched, so a slow database
  never gets web processes restarted in a loop.
- ``/readyz``: readiness. The database, the cache and the broker each answer within a couple
  of seconds; 503 with the failing part named otherwise, so a load balancer stops sending
  answers to a process that could not store them.

Neither needs a login nor says more than "ok" or the name of what failed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def _broker() -> None:
    from gradebook.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "broker": _broker}


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:
            log.warning("readiness: %s failed: %s", name, exc)
            results[name] = "failed"
            continue
        results[name] = "ok"
        if settings.DEBUG:
            results[f"{name}_ms"] = f"{(time.monotonic() - started) * 1000:.1f}"
    ok = all(v == "ok" for k, v in results.items() if not k.endswith("_ms"))
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", **results}, status=200 if ok else 503
    )


# --- Queues (``manage.py queue_status``: for monitoring and worker health checks) -------------


def _broker_depths() -> dict[str, int | None]:
    """Messages waiting in each Celery queue, as the broker counts them (None: unknown)."""
    from gradebook.celery import app

    depths: dict[str, int | None] = {}
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            for queue in ("gpu", "default"):
                try:
                    depths[queue] = int(channel.queue_declare(queue, passive=True).message_count)
                except Exception:
                    depths[queue] = None
    except Exception as exc:
        log.warning("queue status: broker unreachable: %s", exc)
        return {"gpu": None, "default": None}
    return depths


#: name -> figures(now) -> {figure: value}: what other apps add to ``queue_report`` (the
#: exercises app adds its generation queue from its ``AppConfig.ready()``).
_QUEUE_FIGURES: dict[str, Callable[[Any], dict[str, Any]]] = {}


def register_queue_figures(name: str, figures: Callable[[Any], dict[str, Any]]) -> None:
    """Add ``figures(now)`` to every ``queue_report`` (again: replaces ``name``'s entry)."""
    _QUEUE_FIGURES[name] = figures


def queue_report(*, now: object = None) -> dict[str, object]:
    """What waits where: generation jobs, LTI scores, broker queues. One query per figure."""
    from django.utils import timezone

    from gradebook.lti.models import ScoreSync, SyncStatus

    now = now or timezone.now()
    pending = ScoreSync.objects.filter(status=SyncStatus.PENDING)
    oldest_score = pending.order_by("computed_at").values_list("computed_at", flat=True).first()
    report: dict[str, object] = {}
    for figures in _QUEUE_FIGURES.values():
        report.update(figures(now))
    return {
        **report,
        "lti_scores_pending": pending.count(),
        "lti_scores_refused": ScoreSync.objects.filter(status=SyncStatus.FAILED).count(),
        "oldest_pending_score_s": (
            round((now - oldest_score).total_seconds(), 1) if oldest_score else 0.0
        ),
        "broker": _broker_depths(),
    }
