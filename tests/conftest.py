"""Shared personas: Alice and Bob are students, Tara teaches, Ada administers.

App-specific fixtures live in the conftest of each test folder.
"""

from __future__ import annotations

import pytest


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
