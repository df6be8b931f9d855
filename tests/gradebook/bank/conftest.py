"""Bank fixtures: small bank files written on the fly and a snapshot of every course table."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradebook.courses.models import BankImport, Course, Enrollment, Item, ItemRevision, Lesson

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_BANK = ROOT / "banks" / "ai-generation-basics.yaml"

SMALL_BANK = """\
course: demo
title: Demo course
lessons:
  - slug: basics
    order: 1
    title: Basics
    body: "Loss is $L = -\\\\ln(p)$."
    items:
      - id: two-plus-two
        type: numeric
        text: What is 2 + 2?
        answer: 4
      - id: pick-one
        type: multiple_choice
        text: Pick the right one.
        choices:
          - {id: right, text: Right, correct: true}
          - {id: wrong, text: Wrong, correct: false}
  - slug: more
    order: 2
    title: More
    items:
      - id: steps
        type: numeric
        text: How long do 50 steps of 0.08 s take?
        answer: 50*0.08
        unit: s
"""


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo-account and admin tests hash a dozen passwords; PBKDF2's real cost is for
    # production, not for proving who can log in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def write_bank(tmp_path):
    """``write_bank(text, name="bank.yaml")`` -> the path of a bank file with that content."""

    def write(content: str | bytes, name: str = "bank.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


@pytest.fixture
def small_bank(write_bank) -> Path:
    return write_bank(SMALL_BANK)


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table an import can touch, in a comparable form."""
    tables = {
        "course": Course,
        "lesson": Lesson,
        "item": Item,
        "revision": ItemRevision,
        "bank_import": BankImport,
        "enrollment": Enrollment,
    }
    return {
        name: list(model.objects.order_by("pk").values_list()) for name, model in tables.items()
    }
