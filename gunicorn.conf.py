"""gunicorn settings read from the repository root (``gunicorn gradebook.wsgi``).

Only what the app needs from every deployment lives here; bind address, workers and the rest
stay on the command line (README, "Running at scale").
"""

from __future__ import annotations

from typing import Any


def post_fork(server: Any, worker: Any) -> None:
    """Start this worker's grader processes before it takes requests.

    Symbolic answers are graded in a pool of processes that import sympy (about 1.5 s). Without
    this, the first such answer in each worker waited for that start-up.
    """
    from graders.pool import get_pool

    get_pool().warm_up()


def post_worker_init(worker: Any) -> None:
    """Once the app is loaded, do what the first request would otherwise pay for: import the
    views, open the database and cache connections, prepare the item query, build the grader's
    parsers (``gradebook.warmup``; measured by scripts/first_answer.py)."""
    from gradebook.warmup import warm_up_web

    worker.log.info("warmed up in %.2f s", warm_up_web())
