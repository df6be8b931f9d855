"""The examples in docs/item-spec.md are valid specs and grade as their comments say."""

import re
from pathlib import Path

import pytest
import yaml

from graders import grade, validate_spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "item-spec.md"


def _examples() -> dict[str, dict]:
    out = {}
    for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        items = yaml.safe_load(block)
        if isinstance(items, list):
            out.update({i["id"]: i for i in items if isinstance(i, dict) and "type" in i})
    return out


EXAMPLES = _examples()


@pytest.mark.parametrize("item_id", sorted(EXAMPLES))
def test_every_example_is_a_valid_spec(item_id):
    assert validate_spec(EXAMPLES[item_id]) == []


AS_COMMENTED = [
    ("third", "1/3", "correct"),
    ("third", "0.333333333333333", "incorrect"),
    ("root-of-square", "abs(x)", "correct"),
    ("root-of-square", "x", "incorrect"),
    ("root-of-square", "ln(-x^2)", "invalid"),
    ("rounding", "1.24", "correct"),
    ("rounding", "1.23", "incorrect"),
    ("stack-sigfigs", "9.800 m/s^2", "correct"),
    ("stack-sigfigs", "9.807 m/s^2", "correct"),
    ("few-decimals", "1.2", "correct"),
    ("few-decimals", "1.204", "incorrect"),
    ("enough-figures", "1.20397", "correct"),
    ("enough-figures", "1.20", "incorrect"),
    ("bankers-rounding", "2", "correct"),
    ("bankers-rounding", "3", "incorrect"),
    ("speed", "10 m/s", "correct"),
    ("speed", "36 km/h", "incorrect"),
    ("share", "25%", "correct"),
    ("share", "25", "invalid"),
    ("line", "2x - y + 1 = 0", "correct"),
    ("line", "2y = 4x + 2", "correct"),
    ("solve-inequality", "(2, oo)", "correct"),
    ("solve-inequality", "x >= 2", "incorrect"),
    ("range", "1 <= x < 3", "correct"),
    ("open-interval", "0 < x < 2", "correct"),
    ("roots", "{3, 1, 2}", "correct"),
    ("roots", "{1, 2}", "incorrect"),
    ("point", "(1, 2)", "correct"),
    ("point", "(2, 1)", "incorrect"),
]


@pytest.mark.parametrize(("item_id", "answer", "outcome"), AS_COMMENTED)
def test_examples_grade_as_their_comments_say(item_id, answer, outcome):
    assert grade(EXAMPLES[item_id], answer).outcome == outcome
