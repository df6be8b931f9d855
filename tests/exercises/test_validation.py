"""Exercise input is checked against the item's bounds; each refusal names the field."""

from __future__ import annotations

import pytest

from exercises.validation import ExerciseInputError, clean_exercise
from tests.exercises.conftest import EXERCISE_SPEC

REFLECTION = "The image was noise, the text was fluent."


def clean(prompt="a cat", reflection=REFLECTION, **settings):
    return clean_exercise(EXERCISE_SPEC, prompt=prompt, reflection=reflection, settings=settings)


def test_it_fills_defaults_and_picks_a_seed_when_none_is_given():
    result = clean()
    assert result.settings["text"]["max_new_tokens"] == 12
    assert result.settings["image"]["size"] == 64
    assert isinstance(result.settings["text"]["seed"], int)
    assert isinstance(result.settings["image"]["seed"], int)


def test_it_keeps_a_chosen_seed_and_reads_numbers_typed_as_text():
    result = clean(text={"seed": "42", "temperature": "0.2"}, image={"steps": "8"})
    assert result.settings["text"]["seed"] == 42
    assert result.settings["text"]["temperature"] == 0.2
    assert result.settings["image"]["steps"] == 8


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"prompt": "   "}, "prompt", "The prompt is empty"),
        ({"prompt": "x" * 501}, "prompt", "501 characters long; the limit is 500"),
        ({"prompt": "a\x00b"}, "prompt", "NUL"),
        ({"reflection": "y" * 201}, "reflection", "the limit is 200"),
        ({"reflection": ""}, "reflection", "The reflection is empty"),
        ({"reflection": "too short"}, "reflection", "at least 20"),
        ({"text": {"temperature": 3}}, "settings.text.temperature", "between 0 and 1.5, got 3"),
        ({"text": {"temperature": "0,7"}}, "settings.text.temperature", "use a point"),
        ({"text": {"temperature": "nan"}}, "settings.text.temperature", "not a finite number"),
        ({"text": {"max_new_tokens": 65}}, "settings.text.max_new_tokens", "between 1 and 64"),
        ({"text": {"max_new_tokens": 2.5}}, "settings.text.max_new_tokens", "whole number"),
        ({"text": {"top_p": True}}, "settings.text.top_p", "must be a number"),
        ({"text": {"seed": -1}}, "settings.text.seed", "between 0 and"),
        ({"image": {"size": 96}}, "settings.image.size", "one of 64, 128, got 96"),
        ({"image": {"steps": 0}}, "settings.image.steps", "between 1 and 30, got 0"),
        ({"image": {"guidance_scale": "lots"}}, "settings.image.guidance_scale", "not a number"),
        ({"image": {"eta": 1}}, "settings.image.eta", "not one of the image settings"),
        ({"video": {}}, "settings.video", "does not run a 'video' model"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(kwargs, field, message):
    settings = {k: v for k, v in kwargs.items() if k in ("text", "image", "video")}
    args = {k: v for k, v in kwargs.items() if k in ("prompt", "reflection")}
    with pytest.raises(ExerciseInputError) as info:
        clean_exercise(
            EXERCISE_SPEC,
            prompt=args.get("prompt", "a cat"),
            reflection=args.get("reflection", REFLECTION),
            settings=settings,
        )
    assert info.value.field == field
    assert message in info.value.message


def test_it_never_allows_more_than_the_hard_cap_even_if_the_spec_does():
    spec = {**EXERCISE_SPEC, "settings": {"text": {"max_new_tokens": {"max": 100000}}}}
    with pytest.raises(ExerciseInputError) as info:
        clean_exercise(
            spec, prompt="a", reflection=REFLECTION, settings={"text": {"max_new_tokens": 600}}
        )
    assert "between 1 and 512" in info.value.message


@pytest.mark.parametrize("field", ["prompt", "reflection"])
def test_a_bidi_control_in_the_prompt_or_reflection_is_refused(field):
    from exercises.validation import ExerciseInputError, clean_exercise
    from tests.exercises.conftest import EXERCISE_SPEC, REFLECTION

    values = {"prompt": "a red apple", "reflection": REFLECTION}
    values[field] = values[field][:5] + "\u202e" + values[field][5:]
    with pytest.raises(ExerciseInputError) as info:
        clean_exercise(EXERCISE_SPEC, settings={}, **values)
    assert info.value.field == field
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in info.value.message
    assert "character 6" in info.value.message
