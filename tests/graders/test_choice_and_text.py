"""Multiple choice (one or several answers), free text and exercise responses."""

import pytest

from graders import choice_order, grade

SINGLE = {
    "id": "mc1",
    "type": "multiple_choice",
    "text": "How does an LLM generate text?",
    "choices": [
        {"id": "a", "text": "One token at a time", "correct": True},
        {
            "id": "b",
            "text": "All at once",
            "correct": False,
            "feedback": "That is how diffusion refines an image.",
            "tag": "all-at-once",
        },
        {"id": "c", "text": "Pixel by pixel", "correct": False},
    ],
}
MULTI = {
    "id": "mc2",
    "type": "multiple_choice",
    "text": "Which are true?",
    "multiple": True,
    "choices": [
        {"id": "a", "text": "A", "correct": True},
        {"id": "b", "text": "B", "correct": True},
        {"id": "c", "text": "C", "correct": False},
        {"id": "d", "text": "D", "correct": False},
    ],
}

CHOICES = [
    (SINGLE, "a", "correct", 1.0),
    (SINGLE, ["a"], "correct", 1.0),
    (SINGLE, "b", "incorrect", 0.0),
    (SINGLE, "c", "incorrect", 0.0),
    (SINGLE, "z", "invalid", None),
    (SINGLE, "", "invalid", None),
    (SINGLE, ["a", "b"], "invalid", None),
    (SINGLE, 3, "invalid", None),
    (MULTI, ["a", "b"], "correct", 1.0),
    (MULTI, ["b", "a"], "correct", 1.0),
    (MULTI, ["a", "a", "b"], "correct", 1.0),
    (MULTI, ["a"], "partially_correct", 0.5),
    (MULTI, ["a", "b", "c"], "partially_correct", 0.5),
    (MULTI, ["a", "c"], "incorrect", 0.0),
    (MULTI, ["c", "d"], "incorrect", 0.0),
    (MULTI, [], "invalid", None),
    (MULTI, ["a", "x"], "invalid", None),
    (MULTI, "a", "partially_correct", 0.5),
    (MULTI, ["a"] * 1_000_000, "invalid", None),
    (SINGLE, {"a": 1}, "invalid", None),
]


@pytest.mark.parametrize(("spec", "response", "outcome", "score"), CHOICES)
def test_choices_and_partial_credit(spec, response, outcome, score):
    r = grade(spec, response)
    assert (r.outcome, r.score) == (outcome, score)


def test_a_wrong_choice_shows_its_feedback_and_tag():
    r = grade(SINGLE, "b")
    assert r.feedback == "That is how diffusion refines an image."
    assert r.misconception == "all-at-once"


def test_the_choice_order_is_a_stable_shuffle_per_student():
    orders = {tuple(choice_order(SINGLE, seed)) for seed in range(30)}
    assert len(orders) > 1
    assert choice_order(SINGLE, 7) == choice_order(SINGLE, 7)
    assert sorted(choice_order(SINGLE, 7)) == ["a", "b", "c"]
    assert choice_order({**SINGLE, "shuffle": False}, 7) == ["a", "b", "c"]


def test_free_text_without_bounds_only_refuses_empty_answers():
    spec = {"id": "ft", "type": "free_text", "text": "Explain."}
    assert grade(spec, "x").outcome == "needs_review"
    assert grade(spec, "").outcome == "invalid"
    assert grade(spec, ["not", "text"]).outcome == "invalid"


def test_an_exercise_without_parts_takes_its_reflection_as_text():
    spec = {
        "id": "ex",
        "type": "exercise",
        "text": "Try it.",
        "models": ["image"],
        "reflection": {"max_chars": 50},
    }
    assert grade(spec, "The image model ignored the count.").outcome == "needs_review"
    assert grade(spec, {"reflection": "x" * 51}).outcome == "invalid"
    assert grade(spec, 42).outcome == "invalid"
