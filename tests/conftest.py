"""Shared personas: Alice and Bob are students, Tara teaches, Ada administers.

App-specific fixtures live in the conftest of each test folder.
"""

from __future__ import annotations

import pytest

# One instance of the browser fixtures for the whole session: importing them into several test
# modules made pytest build a second Playwright, which refuses to start inside the first's loop.
pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The production hasher costs ~0.3 s a user on this CPU; tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-pass-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-pass-123")


@pytest.fixture
def tara(django_user_model):
    from gradebook.accounts.roles import make_teacher

    user = django_user_model.objects.create_user("tara", "tara@example.com", "tara-pass-123")
    make_teacher(user)
    return user


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create_superuser("ada", "ada@example.com", "ada-pass-123")


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process when published (the broker and workers are tested with real
    processes elsewhere)."""
    from gradebook.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
