"""The grader's sentences added for answers peers accept (issue 14) read in Korean too."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

import graders
from gradebook.ui.grader_messages import translate_message

HANGUL = re.compile(r"[\uac00-\ud7a3]")
NUMERIC = {"id": "n", "type": "numeric", "text": "?", "answer": 4}
SYMBOLIC = {"id": "s", "type": "symbolic", "text": "?", "answer": "x + 1", "variables": ["x"]}

CASES = [
    (NUMERIC, "{1, 2, 3}"),
    (NUMERIC, "x"),
    (SYMBOLIC, "sqrt(-x)"),
    (SYMBOLIC, "x + 1/0"),
]


@pytest.mark.parametrize(("spec", "answer"), CASES)
def test_new_refusals_are_translated(spec, answer):
    feedback = graders.grade(spec, answer).feedback
    assert feedback
    with translation.override("ko"):
        korean = translate_message(feedback)
    assert HANGUL.search(korean), korean
    assert not re.search(r"\b(?:this|answer|number|value)\b", korean), korean
