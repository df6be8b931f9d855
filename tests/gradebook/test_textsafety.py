"""Bidi controls are refused in the short text a student writes: answers, prompts, reflections."""

import pytest

from gradebook.textsafety import bidi_message, first_bidi_control

CONTROLS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


@pytest.mark.parametrize("char", CONTROLS)
def test_every_embedding_override_and_isolate_is_found(char):
    assert first_bidi_control(f"ok{char}!gnorw") == (3, char)


@pytest.mark.parametrize(
    "value",
    ["plain", "한국어 답", "مرحبا", "x\u200fy", ["a", {"k": "v"}], 3, None],
)
def test_ordinary_text_and_marks_pass(value):
    assert first_bidi_control(value) is None


def test_it_looks_inside_lists_and_dicts():
    assert first_bidi_control({"total": ["1", "4\u202e0"]}) == (2, "\u202e")


def test_the_message_names_the_character_and_place():
    message = bidi_message("The prompt", 3, "\u202e")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in message and "character 3" in message
