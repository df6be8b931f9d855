"""Roles are Django groups: one place that names them and answers "is this user a ...?"."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

TEACHERS = "teachers"
ADMINS = "admins"


def make_teacher(user: Any) -> None:
    group, _ = Group.objects.get_or_create(name=TEACHERS)
    user.groups.add(group)


def make_admin(user: Any) -> None:
    group, _ = Group.objects.get_or_create(name=ADMINS)
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def is_teacher(user: Any) -> bool:
    return bool(user.is_authenticated) and (
        user.is_superuser or user.groups.filter(name=TEACHERS).exists()
    )


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated) and (
        user.is_superuser or user.groups.filter(name=ADMINS).exists()
    )
