"""The Celery app shared by the web process (which only publishes) and the workers.

Configuration lives in Django settings under the ``CELERY_`` prefix so that one set of
environment variables switches both the web process and the workers between the embedded
filesystem transport and Redis.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import celeryd_after_setup, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")

app = Celery("gradebook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


#: Set in the worker parent when it consumes a queue other than generation's ``gpu`` (regrade
#: tasks grade answers); inherited by forked children.
_grades_here = False


@celeryd_after_setup.connect
def _note_queues(sender: str, instance: Any, conf: Any, **kwargs: Any) -> None:
    global _grades_here
    queues = instance.app.amqp.queues.consume_from or instance.app.amqp.queues
    _grades_here = any(name != "gpu" for name in queues)


@worker_process_init.connect
def _start_grader_pool(**kwargs: Any) -> None:
    """Start a grading worker child's grader processes before its first task.

    They import sympy (about 1.5 s); without this the first regrade batch in each child waited
    for that, and a generation-only worker would start processes it never uses.
    """
    if not _grades_here:
        return
    from gradebook.warmup import warm_up_graders
    from graders.pool import get_pool

    get_pool().warm_up()
    warm_up_graders()  # and the in-process parsers the regrade's fast path uses
