"""Matching items (Moodle's matching, GIFT's {=a -> b}): credit per pair."""

from __future__ import annotations

import pytest

from graders import grade, validate_spec
from graders.matching import options

SPEC = {
    "id": "m",
    "type": "matching",
    "text": "Match each model to what it generates.",
    "pairs": [
        {"id": "p1", "prompt": "SmolLM2", "answer": "text"},
        {"id": "p2", "prompt": "VAE decoder", "answer": "image"},
        {"id": "p3", "prompt": "Tokenizer", "answer": "tokens"},
        {"id": "p4", "prompt": "Detokenizer", "answer": "text"},
    ],
    "distractors": ["audio"],
}


@pytest.mark.parametrize(
    ("response", "outcome", "score", "feedback"),
    [
        ({"p1": "text", "p2": "image", "p3": "tokens", "p4": "text"}, "correct", 1.0,
         "4 of 4 pairs right."),
        ({"p1": "text", "p2": "audio", "p3": "tokens", "p4": "image"}, "partially_correct", 0.5,
         "2 of 4 pairs right."),
        ({"p1": "text"}, "partially_correct", 0.25, "1 of 4 pairs right."),
        ({"p1": "audio", "p2": "text"}, "incorrect", 0.0, "0 of 4 pairs right."),
    ],
)  # fmt: skip
def test_each_right_pair_is_an_equal_share(response, outcome, score, feedback):
    result = grade(SPEC, response)
    assert (result.outcome, result.score, result.feedback) == (outcome, score, feedback)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ("text", "match each item: expected {item: answer}"),
        ({}, "match at least one item"),
        ({"p1": ""}, "match at least one item"),
        ({"p1": "video"}, "'video' is not one of the options"),
        ({"nope": "text"}, "match at least one item"),
    ],
)
def test_unreadable_answers_say_why(response, message):
    result = grade(SPEC, response)
    assert (result.outcome, result.feedback) == ("invalid", message)


def test_options_hold_each_answer_once_with_the_distractors_shuffled_per_student():
    assert sorted(options(SPEC, 1)) == ["audio", "image", "text", "tokens"]
    orders = {tuple(options(SPEC, seed)) for seed in range(20)}
    assert len(orders) > 1
    assert options({**SPEC, "shuffle": False}, 5) == ["text", "image", "tokens", "audio"]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"pairs": [{"id": "p1", "prompt": "a", "answer": "b"}]}, "pairs", "at least two"),
        ({"pairs": [{"id": "p1", "prompt": "a", "answer": "b"},
                    {"id": "p1", "prompt": "c", "answer": "d"}]}, "pairs[1].id", "duplicate"),
        ({"pairs": [{"id": "p1", "prompt": "", "answer": "b"},
                    {"id": "p2", "prompt": "c", "answer": "d"}]}, "pairs[0].prompt", "required"),
        ({"distractors": "audio"}, "distractors", "list of texts"),
        ({"shuffle": "yes"}, "shuffle", "true or false"),
    ],
)  # fmt: skip
def test_bad_specs_name_the_field(change, path, words):
    errors = validate_spec({**SPEC, **change})
    assert errors and errors[0].path == path and words in errors[0].message
