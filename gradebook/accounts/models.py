"""Models of the accounts app."""

from django.db import models  # noqa: F401
