"""The gradebook project: settings, the Celery app, and the course/quiz/grade apps."""

from gradebook.celery import app as celery_app

__all__ = ["celery_app"]
