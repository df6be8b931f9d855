"""Models of the progress app."""

from django.db import models  # noqa: F401
