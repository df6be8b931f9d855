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
    ({**SYMBOLIC, "assume_real": True, "domain": {"x": [0, 10]}}, "sqrt(x-5)"),
    ({**NUMERIC, "tolerance": {"sig_figs": 4, "mode": "typed"}}, "2*2"),
    ({**NUMERIC, "answer": 1000, "tolerance": {"sig_figs": 2, "mode": "typed"}}, "1000"),
    ({**NUMERIC, "answer": 1.235, "tolerance": {"sig_figs": 3, "rounding": "half_up"}}, "1.23"),
    ({**NUMERIC, "unit": "m/s", "strict_units": True, "answer": 10}, "36 km/h"),
    ({**NUMERIC, "unit": "m/s^2", "answer": 10}, "10 m"),
    ({**NUMERIC, "unit": "%", "answer": 25}, "25"),
    ({**SYMBOLIC, "answer": "y = 2x + 1", "variables": ["x", "y"]}, "2x + 1"),
    ({**SYMBOLIC, "answer": "x > 2"}, "x >= 2"),
    ({**SYMBOLIC, "answer": "[1, 3)"}, "[1, oo]"),
    ({**SYMBOLIC, "answer": "{1, 2, 3}"}, "{1, 2}"),
    ({**SYMBOLIC, "answer": "{1, 2, 3}"}, "{1, 2, 3, 4, 5}"),
    ({**SYMBOLIC, "answer": "{1, 2, 3}"}, "{1, 5}"),
    ({**SYMBOLIC, "answer": "{1, 2, 3}"}, "1, 2"),
    ({**SYMBOLIC, "answer": "(1, 2)"}, "(2, 1)"),
    ({**SYMBOLIC, "answer": "(1, 2)"}, "(1, 2, 3)"),
    ({**SYMBOLIC, "answer": "(1, 2, 3)"}, "(1, 2, 4)"),
    (SYMBOLIC, "y = x + 1"),
    (SYMBOLIC, "()"),
    (SYMBOLIC, "2x %"),
    (SYMBOLIC, "x + 1)"),
]

HELP = [
    {**NUMERIC, "tolerance": {"sig_figs": 4, "correct": 2}},
    {**NUMERIC, "tolerance": {"sig_figs": 3, "mode": "at_least"}},
    {**NUMERIC, "tolerance": {"decimal_places": 2, "mode": "at_most"}},
    {**NUMERIC, "tolerance": {"sig_figs": 3, "rounding": "half_even"}},
    {**NUMERIC, "tolerance": {"decimal_places": 1, "rounding": "half_up"}},
    {**NUMERIC, "unit": "N", "answer": 4},
    {**SYMBOLIC, "answer": "y = 2x + 1", "variables": ["x", "y"]},
    {**SYMBOLIC, "answer": "x > 2"},
    {**SYMBOLIC, "answer": "[1, 3)"},
    {**SYMBOLIC, "answer": "{1, 2, 3}"},
    {**SYMBOLIC, "answer": "(1, 2)"},
]


@pytest.mark.parametrize("spec", HELP)
def test_new_help_lines_are_translated(spec):
    text = graders.input_help(spec)
    with translation.override("ko"):
        korean = translate_message(text)
    assert HANGUL.search(korean), korean
    assert not re.search(r"\b(?:with|figures|places|rounds|least|most)\b", korean), korean


@pytest.mark.parametrize(("spec", "answer"), CASES)
def test_new_refusals_are_translated(spec, answer):
    feedback = graders.grade(spec, answer).feedback
    assert feedback
    with translation.override("ko"):
        korean = translate_message(feedback)
    assert HANGUL.search(korean), korean
    assert not re.search(r"\b(?:this|answer|number|value)\b", korean), korean
