"""Celery tasks of the courses app (default queue): bank imports, each a thin shell over
``gradebook.courses.bank.jobs``. A duplicate delivery finds the row claimed and does nothing;
a worker that dies mid-task leaves a claim the next delivery takes over once it is stale."""

from __future__ import annotations

from celery import shared_task

from gradebook.courses.bank import jobs


@shared_task(name="courses.check_bank_import", acks_late=True, ignore_result=True)
def check_bank_import(import_id: int) -> str:
    record = jobs.import_job_check(import_id)
    return "skipped" if record is None else record.status


@shared_task(name="courses.apply_bank_import", acks_late=True, ignore_result=True)
def apply_bank_import(import_id: int) -> str:
    record = jobs.import_job_apply(import_id)
    return "skipped" if record is None else record.status
