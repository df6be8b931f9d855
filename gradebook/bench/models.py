"""The benchmark app's one table: never in the production schema (see ``gradebook.bench``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class BenchmarkRow(models.Model):
    """One row per request to the bare endpoint.

    The load script compares submit against "a DRF endpoint that writes one row"; this is that
    row. Nothing else reads it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
