"""The sample bank's copies of the practice questions grade the way graders/examples.py's do.

The bank (``banks/ai-generation-basics.yaml``) is written by another area; these checks make
sure its specs, read through the real grader, give students the verdicts the course needs.
An item missing from the bank (or a missing bank) fails: the bank must carry every practice
question of the course, and a check that skips would hide one that went missing.
"""

from pathlib import Path

import pytest
import yaml

from graders import grade, validate_spec

BANK = Path(__file__).resolve().parents[2] / "banks" / "ai-generation-basics.yaml"


def bank_items():
    found = {}

    def walk(x):
        if isinstance(x, dict):
            if (
                isinstance(x.get("id"), str)
                and x.get("type")
                in ("numeric", "symbolic", "multiple_choice", "multipart", "free_text", "exercise")
                and "text" in x
            ):
                found[x["id"]] = x
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(yaml.safe_load(BANK.read_text(encoding="utf-8")))
    return found


ITEMS = bank_items()


def item(item_id):
    assert item_id in ITEMS, f"{item_id} is missing from the sample bank {BANK.name}"
    return ITEMS[item_id]


def test_the_check_fails_for_an_item_missing_from_the_bank():
    with pytest.raises(AssertionError, match="missing from the sample bank"):
        item("no-such-item")


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_every_bank_item_is_valid(item_id):
    assert validate_spec(item(item_id)) == []


def part(result, pid):
    return next(p for p in result.parts if p.id == pid)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("-ln(0.3)", "correct"),
        ("ln(10/3)", "correct"),
        ("-log(0.3)", "correct"),
        (r"\ln\frac{10}{3}", "correct"),
        ("-log10(0.3)", "incorrect"),
        ("ln(0.3)", "incorrect"),
        ("1.204", "incorrect"),
    ],
)
def test_the_banks_cross_entropy_natural_log_part(answer, outcome):
    spec = item("ce-loss")
    first, second = (p["id"] for p in spec["parts"])
    r = grade(spec, {first: answer, second: "1.204"})
    assert part(r, first).outcome == outcome


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("4", "invalid"),
        ("4 s", "correct"),
        ("4000 ms", "correct"),
        ("0.0667 min", "correct"),
        ("50*0.08 s", "correct"),
        ("0.08 s", "incorrect"),
        ("4 m", "incorrect"),
    ],
)
def test_the_banks_denoising_time_first_part(answer, outcome):
    spec = item("diffusion-time")
    first, second = (p["id"] for p in spec["parts"])
    r = grade(spec, {first: answer, second: "48 s"})
    assert part(r, first).outcome == outcome


def test_the_banks_denoising_time_carries_an_error_forward():
    spec = item("diffusion-time")
    first, second = (p["id"] for p in spec["parts"])
    r = grade(spec, {first: "5 s", second: "60 s"})
    assert part(r, second).outcome == "correct" and part(r, second).carried_forward
