"""The Celery app shared by the web process (which only publishes) and the workers.

Configuration lives in Django settings under the ``CELERY_`` prefix so that one set of
environment variables switches both the web process and the workers between the embedded
filesystem transport and Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")

app = Celery("gradebook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
