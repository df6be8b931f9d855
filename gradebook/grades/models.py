"""Models of the grades app."""

from django.db import models  # noqa: F401
