"""GIFT banks: the syntax Moodle reads, mapped by the same rules as Moodle XML."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

import graders
from gradebook.courses.bank import BankInvalid
from gradebook.courses.bank.loading import parse_bank_bytes, read_bank_file
from gradebook.courses.models import Item

from .conftest import snapshot

DATA = Path(__file__).parent / "data" / "moodle"
EVERY_SYNTAX = DATA / "every-syntax.gift"
UPSTREAM = DATA / "upstream"


def gift(text: str, name: str = "bank.gift"):
    return parse_bank_bytes(text.encode("utf-8"), filename=name)


@pytest.fixture(scope="module")
def items() -> dict[str, dict]:
    doc = read_bank_file(EVERY_SYNTAX)
    return {i["title"]: i for lesson in doc.data["lessons"] for i in lesson["items"]}


def test_categories_titles_and_descriptions():
    doc = read_bank_file(EVERY_SYNTAX)
    lesson = doc.data["lessons"][0]
    assert (lesson["slug"], lesson["title"]) == ("tokens", "Tokens")
    assert lesson["body"] == (
        "<p>Language models read <b>tokens</b>; $$p(x)$$ is a probability.</p>"
    )


def test_multiple_choice_with_feedback_missing_word_and_general_feedback(items):
    item = items["What is sampled"]
    assert item["type"] == "multiple_choice"
    assert item["text"] == "A language model generates text _____."
    assert [(c["text"], c["correct"]) for c in item["choices"]] == [
        ("all at once", False),
        ("one token at a time", True),
        ("pixel by pixel", False),
    ]
    assert item["explanation"] == "Each step samples the next token."
    assert graders.grade(item, "c").feedback == "That is an image model."


def test_true_false_with_wrong_and_right_feedback(items):
    softmax = items["Softmax sums to one"]
    assert graders.grade(softmax, "true").feedback == "Right: a distribution."
    assert graders.grade(softmax, "false").feedback == "It is a probability distribution."
    assert graders.grade(items["Greedy is random"], "false").outcome == "correct"


def test_short_answer_with_partial_credit_and_a_text_format(items):
    item = items["Name the unit"]
    assert item["type"] == "short_text" and "**unit**" in item["text"]
    assert graders.grade(item, "Token").score == 1.0
    assert graders.grade(item, "word piece").feedback == "Close: that is one kind."
    assert graders.grade(item, "letter").score == 0.0
    assert graders.grade(items["한국어"], "토큰").outcome == "correct"


@pytest.mark.parametrize(
    ("title", "answer", "tolerance", "right", "wrong"),
    [
        ("Temperature", 0, None, "0", "0.1"),
        ("Top p", 0.9, {"absolute": 0.1}, "0.85", "0.75"),
        ("Close enough", 4, None, "4", "5"),
        ("Unnamed with no title", 4, None, "4", "3"),
    ],
)
def test_numerical_forms(items, title, answer, tolerance, right, wrong):
    item = items[title]
    assert item["type"] == "numeric" and item["answer"] == answer
    assert item.get("tolerance") == tolerance
    assert graders.grade(item, right).outcome == "correct"
    assert graders.grade(item, wrong).score == 0.0


def test_several_numerical_answers_give_partial_credit(items):
    item = items["Close enough"]
    assert item["mistakes"] == [{"answer": 4, "feedback": "Nearly.", "credit": 0.5}]


def test_multiple_answers_with_weights(items):
    item = items["Pick the schedules"]
    assert item["multiple"] is True
    assert graders.grade(item, ["a", "b"]).score == 1.0
    assert graders.grade(item, ["a", "c"]).score == 0.0


def test_escaped_control_characters_are_literal(items):
    item = items["Escapes"]
    assert item["text"] == (
        "Which one is written {like this} with a : colon, an = equals, a ~ tilde and a # hash?"
    )
    assert [c["text"] for c in item["choices"]] == ["{braces}", "# hash", "~ tilde"]
    assert item["choices"][0]["feedback"] == "Yes: { and } are escaped."


def test_essay_and_matching(items):
    assert items["Essay"]["type"] == "free_text"
    matching = items["Matching"]
    assert matching["type"] == "matching"
    assert [(p["prompt"], p["answer"]) for p in matching["pairs"]] == [
        ("SmolLM2", "text"), ("VAE decoder", "image"),
    ]  # fmt: skip
    assert graders.grade(matching, {"p1": "text", "p2": "text"}).score == 0.5


def test_moodles_own_gift_examples_import(tmp_path):
    """question/format/gift/examples.txt from Moodle (see data/moodle/upstream/PROVENANCE.md)."""
    doc = read_bank_file(UPSTREAM / "gift-examples.txt")
    items = [i for lesson in doc.data["lessons"] for i in lesson["items"]]
    assert len(items) == 43
    assert not [str(n) for n in doc.notes if "not imported" in str(n)]
    capitals = next(i for i in items if i["type"] == "matching" and len(i["pairs"]) == 4)
    assert capitals["pairs"][3] == {"id": "p4", "prompt": "India", "answer": "New Delhi"}
    by_text = {i["text"]: i for i in items}
    pi = by_text["What is the value of pi (to 3 decimal places)? _____."]
    assert pi["answer"] == 3.1415 and pi["tolerance"] == {"absolute": 0.0005}
    control = next(i for i in items if i["title"] == "GIFT Control Characters")
    assert [c["text"] for c in control["choices"]][-1] == "\\"
    assert graders.grade(control, "f").outcome == "correct"


def test_moodles_own_gift_test_fixture_imports():
    """question/format/gift/tests/fixtures/questions.gift.txt from Moodle."""
    doc = read_bank_file(UPSTREAM / "gift-questions.gift.txt")
    items = {i["id"]: i for lesson in doc.data["lessons"] for i in lesson["items"]}
    assert sorted(items) == [
        "2-08-tsl", "2-08-tsl-2", "colours", "moodle-activities", "q1", "q2", "q5", "q8",
        "shortanswer",
    ]  # fmt: skip
    activities = items["moodle-activities"]
    assert activities["distractors"] == ["Chat"]  # "= -> Chat" matches no prompt
    assert activities["pairs"][2]["answer"] == "Database"
    assert items["q5"]["answer"] == 3 and items["q5"]["tolerance"] == {"absolute": 2}
    assert graders.grade(items["shortanswer"], "dog").feedback == "Completely wrong"
    assert graders.grade(items["shortanswer"], "cat").score == 0.5
    assert items["q1"]["explanation"].startswith("This is, of course")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("::A::Q {=a\n", 1, "unbalanced braces"),
        ("// c\n\n::A::Q =a}\n", 3, "unbalanced braces"),
        ("::A::Q {=a} and {=b}\n", 1, "more than one answer block"),
        ("::A\nQ {=a}\n", 1, "never ends with '::'"),
    ],
)
def test_broken_syntax_is_an_error_with_its_line(text, line, words):
    with pytest.raises(BankInvalid) as info:
        gift(text)
    error = info.value.errors[0]
    assert error.line == line and words in error.message


@pytest.mark.django_db
def test_import_then_reimport_finds_everything_unchanged():
    out = StringIO()
    call_command("import_bank", str(EVERY_SYNTAX), "--course", "gift-demo", stdout=out)
    assert Item.objects.filter(course__slug="gift-demo").count() == 13
    again = StringIO()
    call_command("import_bank", str(EVERY_SYNTAX), "--course", "gift-demo", stdout=again)
    assert "0 created, 0 updated (0 with a new revision), 0 retired, 13 unchanged" in (
        again.getvalue()
    )


@pytest.mark.django_db
def test_a_broken_gift_file_writes_nothing(tmp_path):
    path = tmp_path / "broken.gift"
    path.write_text("::A::Q {=a}\n\n::B::Q {=b\n", encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as info:
        call_command("import_bank", str(path), stdout=StringIO())
    assert f"{path}:3" in str(info.value)
    assert snapshot() == before
