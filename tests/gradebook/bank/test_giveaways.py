"""The bank validator warns when a help text, placeholder or hint gives the answer away."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gradebook.courses.bank import load_documents
from gradebook.courses.bank.giveaways import candidates, giveaways
from gradebook.courses.bank.validation import key_warnings

from .conftest import SAMPLE_BANK

TIMING = {
    "id": "timing",
    "type": "multipart",
    "text": "50 steps of 0.08 s; 12 images?",
    "parts": [
        {"id": "one", "label": "One image", "type": "numeric", "answer": "50*0.08", "unit": "s"},
        {"id": "twelve", "label": "Twelve", "type": "numeric", "answer": "12*one", "unit": "s"},
    ],
}
LOSS = {"id": "loss", "type": "symbolic", "text": "L?", "answer": "-ln(0.3)", "form": "natural_log"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({**TIMING, "help": "Give units, e.g. 4 s; minutes are fine too."}, [("help",)]),
        ({**TIMING, "help": "Give units, e.g. 4000 ms."}, [("help",)]),  # the same value
        ({**TIMING, "help": "Give units; minutes are fine too."}, []),
        ({**TIMING, "hints": ["First part: about 4", "Multiply"]}, [("hints", 0)]),
        (
            {**LOSS, "help": "Write it with ln, e.g. -ln(0.5); ln(10/3) is the same value."},
            [("help",)],
        ),  # equivalent to the key
        ({**LOSS, "placeholder": "e.g. 1.204"}, [("placeholder",)]),  # right value, wrong form
        ({**LOSS, "placeholder": "an expression with ln"}, []),
        ({**LOSS, "help": "Write it with ln, e.g. -ln(0.5)."}, []),
        (
            {
                "id": "n",
                "type": "numeric",
                "text": "?",
                "answer": 700,
                "tolerance": {"relative": 0.15},
                "help": "Anything from 600 to 800 is fine.",
            },
            [("help",)],
        ),
        (
            {
                "id": "m",
                "type": "multiple_choice",
                "text": "?",
                "help": "Pick 1",
                "choices": [{"id": "a", "text": "1", "correct": True}, {"id": "b", "text": "2"}],
            },
            [],
        ),
    ],
)
def test_it_finds_shown_text_that_holds_the_answer(spec, expected):
    assert [path for path, _ in giveaways(spec)] == expected


def test_a_parts_help_is_checked_against_its_own_key():
    spec = {**TIMING, "parts": [{**TIMING["parts"][0], "help": "e.g. 48 s"}, TIMING["parts"][1]]}
    assert giveaways(spec) == []
    spec["parts"][0]["help"] = "e.g. 4 s"
    assert [p for p, _ in giveaways(spec)] == [("parts", 0, "help")]


def test_candidates_are_what_a_student_could_type():
    found = candidates("Write it with ln, e.g. -ln(0.5); ln(10/3) is the same value. Or `2*2`.")
    assert {"-ln(0.5)", "ln(10/3)", "2*2"} <= set(found)


@pytest.mark.django_db
def test_the_warning_names_file_line_and_field(write_bank):
    path = write_bank(
        "course: c\ntitle: C\nlessons:\n  - slug: l\n    title: L\n    items:\n"
        "      - id: t\n        type: numeric\n        text: 50 x 0.08 s?\n        answer: 4\n"
        "        unit: s\n        help: Give units, e.g. 4 s.\n"
    )
    [doc] = load_documents([path])
    [warning] = key_warnings(doc)
    assert (warning.line, warning.field) == (12, "lessons[0].items[0].help")
    assert "'4 s' is accepted as the answer" in warning.message
    out = io.StringIO()
    call_command("import_bank", str(path), "--dry-run", stdout=out)
    assert f"warning: {path.name}:12: lessons[0].items[0].help:" in out.getvalue().replace(
        str(path), path.name
    )


@pytest.mark.django_db
def test_the_sample_bank_gives_nothing_away():
    [doc] = load_documents([SAMPLE_BANK])
    assert key_warnings(doc) == []


def test_the_sample_exercise_names_the_courses_own_models():
    text = SAMPLE_BANK.read_text(encoding="utf-8")
    start = text.index("id: same-prompt-two-models")
    exercise = text[start : text.index("rubric:", start)]
    assert "SmolLM2-135M-Instruct" in exercise and "diffusion" in exercise
    assert "Claude" not in exercise and "ChatGPT" not in exercise
