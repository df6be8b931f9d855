"""Short text items (Moodle's shortanswer, GIFT's {=a =b}): accepted answers, wildcards, case."""

from __future__ import annotations

import pytest

from graders import grade, validate_spec

SPEC = {
    "id": "st",
    "type": "short_text",
    "text": "What is removing noise step by step called?",
    "answers": [
        {"text": "denoising", "feedback": "Yes."},
        {"text": "diffusion", "credit": 0, "feedback": "That is the whole model."},
        {"text": "de*ing", "credit": 0.5, "feedback": "Check the spelling."},
        {"text": "noise \\* 2", "credit": 0.25},
    ],
}
CASED = {**SPEC, "case_sensitive": True}

# (spec, response, outcome, score, feedback)
ANSWERS = [
    (SPEC, "denoising", "correct", 1.0, "Yes."),
    (SPEC, "  DeNoising ", "correct", 1.0, "Yes."),
    (SPEC, "diffusion", "incorrect", 0.0, "That is the whole model."),
    (SPEC, "de-noise-ing", "partially_correct", 0.5, "Check the spelling."),
    (SPEC, "deing", "partially_correct", 0.5, "Check the spelling."),
    (SPEC, "noise * 2", "partially_correct", 0.25, "Partly right."),
    (SPEC, "noise x 2", "incorrect", 0.0, "Incorrect."),
    (SPEC, "denoising!", "incorrect", 0.0, "Incorrect."),
    (SPEC, "de noising", "partially_correct", 0.5, "Check the spelling."),
    (CASED, "Denoising", "incorrect", 0.0, "Incorrect."),
    (CASED, "denoIsing", "partially_correct", 0.5, "Check the spelling."),
    (CASED, "DENOISING", "incorrect", 0.0, "Incorrect."),
    (CASED, "denoising", "correct", 1.0, "Yes."),
]


@pytest.mark.parametrize(("spec", "response", "outcome", "score", "feedback"), ANSWERS)
def test_answers_are_matched_in_the_authors_order(spec, response, outcome, score, feedback):
    result = grade(spec, response)
    assert (result.outcome, result.score, result.feedback) == (outcome, score, feedback)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ("", "the answer is empty"),
        ("   ", "the answer is empty"),
        (["denoising"], "write your answer as text"),
        ("x" * 501, "write at most 500 characters (you wrote 501)"),
    ],
)
def test_unreadable_answers_say_why(response, message):
    result = grade(SPEC, response)
    assert (result.outcome, result.score, result.feedback) == ("invalid", None, message)


def test_regex_characters_in_an_answer_are_literal():
    spec = {"id": "r", "type": "short_text", "text": "?", "answers": [{"text": "a.b (c)+"}]}
    assert grade(spec, "a.b (c)+").outcome == "correct"
    assert grade(spec, "axb (c)").outcome == "incorrect"


def test_a_hostile_answer_against_many_wildcards_is_fast():
    spec = {"id": "w", "type": "short_text", "text": "?", "answers": [{"text": "*a*a*a*a*a*b"}]}
    result = grade(spec, "a" * 500)
    assert result.outcome == "incorrect" and result.elapsed_ms < 1000


@pytest.mark.parametrize(
    ("answers", "path", "words"),
    [
        (None, "answers", "required"),
        ([], "answers", "required"),
        ([{"text": ""}], "answers[0].text", "required"),
        ([{"text": "a", "credit": 2}], "answers[0].credit", "from 0 to 1"),
        ([{"text": "a", "credit": 0.5}], "answers", "credit 1"),
        ([{"text": "a", "points": 1}], "answers[0].points", "unknown key"),
        (["a"], "answers[0]", "{text, credit, feedback}"),
    ],
)
def test_bad_specs_name_the_field(answers, path, words):
    spec = {"id": "b", "type": "short_text", "text": "?"}
    if answers is not None:
        spec["answers"] = answers
    errors = validate_spec(spec)
    assert errors and errors[0].path == path and words in errors[0].message


def test_a_short_text_part_grades_inside_a_multipart_item():
    spec = {
        "id": "m",
        "type": "multipart",
        "text": "?",
        "parts": [
            {"id": "word", "type": "short_text", "answers": [{"text": "token"}]},
            {"id": "n", "type": "numeric", "answer": 50},
        ],
    }
    assert validate_spec(spec) == []
    result = grade(spec, {"word": "Token", "n": "50"})
    assert result.outcome == "correct"
    assert grade(spec, {"word": "word", "n": "50"}).score == 0.5


NUMERIC = {
    "id": "n",
    "type": "numeric",
    "text": "50 steps of 0.08 s?",
    "answer": 4,
    "mistakes": [
        {"answer": 4.5, "feedback": "Close.", "credit": 0.5},
        {"answer": 0.08, "feedback": "One step only."},
        {"answer": 4.0001, "feedback": "Also fine.", "credit": 1},
    ],
}


@pytest.mark.parametrize(
    ("response", "outcome", "score", "feedback"),
    [
        ("4", "correct", 1.0, "Correct."),
        ("4.5", "partially_correct", 0.5, "Close."),
        ("0.08", "incorrect", 0.0, "One step only."),
    ],
)
def test_a_declared_mistake_may_carry_credit(response, outcome, score, feedback):
    result = grade(NUMERIC, response)
    assert (result.outcome, result.score, result.feedback) == (outcome, score, feedback)


def test_a_mistake_credit_outside_0_to_1_is_refused():
    spec = {**NUMERIC, "mistakes": [{"answer": 3, "feedback": "x", "credit": 1.5}]}
    errors = validate_spec(spec)
    assert [e.path for e in errors] == ["mistakes[0].credit"]
