"""validate_spec: every problem named by its field, so the bank import can point at the line."""

import pytest

from graders import validate_spec
from graders.examples import DENOISING_TIME

OK = {"id": "q1", "type": "numeric", "text": "2+2?", "answer": 4}


def with_(**kw):
    return {**OK, **kw}


BAD = [
    ({"type": "numeric", "text": "?", "answer": 4}, "id", "required"),
    (with_(id="Q 1"), "id", "lowercase"),
    (with_(type="essay"), "type", "must be one of"),
    (with_(text=""), "text", "required"),
    (with_(points=0), "points", "greater than 0"),
    (with_(points="2"), "points", "greater than 0"),
    (with_(max_attempts=0), "max_attempts", "at least 1"),
    (with_(retry_penalty=1), "retry_penalty", "[0, 1)"),
    (with_(hints="try harder"), "hints", "list of texts"),
    (with_(tolerence={"absolute": 1}), "tolerence", "unknown key"),
    (with_(answer="2+"), "answer", "cannot be read"),
    (with_(answer="ln(0)"), "answer", "has no value"),
    (with_(answer="n*2"), "answer", "'n'"),
    (with_(answer=None), "answer", "required"),
    (with_(tolerance={"absolute": -1}), "tolerance.absolute", "at least 0"),
    (with_(tolerance={"relative": 5}), "tolerance.relative", "fraction"),
    (with_(tolerance={"sig_figs": 0}), "tolerance.sig_figs", "1 to 15"),
    (with_(tolerance={"sig_figs": 2.5}), "tolerance.sig_figs", "whole number"),
    (with_(tolerance={"absolute": 1, "relative": 0.1}), "tolerance", "exactly one"),
    (with_(tolerance={"absolute": 1, "mode": "typed"}), "tolerance.mode", "sig_figs"),
    (with_(tolerance={"sig_figs": 2, "mode": "digits"}), "tolerance.mode", "band"),
    (with_(unit="parsec"), "unit", "unknown unit"),
    (with_(unit="s", answer="4 m"), "answer", "is a length but the unit 's' is a time"),
    (with_(unit_required="yes"), "unit_required", "true or false"),
    (with_(mistakes=[{"answer": "3"}]), "mistakes[0].feedback", "required"),
    (with_(mistakes=[{"answer": "3+", "feedback": "x"}]), "mistakes[0].answer", "cannot be read"),
    (with_(params={"n": {"range": [5, 1]}}), "params.n.range", "must not exceed"),
    (with_(params={"n": {"range": [1, 5], "step": 0}}), "params.n.step", "greater than 0"),
    (with_(params={"n": {"choices": []}}), "params.n.choices", "non-empty"),
    (with_(params={"n": {}}), "params.n", "needs 'range' or 'choices'"),
    (with_(params={"ln": {"range": [1, 2]}}), "params.ln", "not a function name"),
    (
        with_(params={"m": {"choices": ["SD 1.5", "SDXL"]}}, answer="{m}*2"),
        "answer",
        "not a number",
    ),
    (
        with_(params={"p": {"range": [0, 1], "step": 0.5}}, answer="ln({p})"),
        "answer",
        "has no value for the params",
    ),
    (
        {
            "id": "s",
            "type": "symbolic",
            "text": "?",
            "answer": "x",
            "variables": ["x"],
            "form": "neat",
        },
        "form",
        "must be one of",
    ),
    (
        {"id": "s", "type": "symbolic", "text": "?", "answer": "y", "variables": ["x"]},
        "answer",
        "'y'",
    ),
    (
        {"id": "s", "type": "symbolic", "text": "?", "answer": "x", "variables": ["sin"]},
        "variables",
        "not function names",
    ),
    ({"id": "s", "type": "symbolic", "text": "?", "answer": "x", "log_base": 2}, "log_base", "'e'"),
    (
        {"id": "m", "type": "multiple_choice", "text": "?", "choices": [{"id": "a", "text": "A"}]},
        "choices",
        "at least two",
    ),
    (
        {
            "id": "m",
            "type": "multiple_choice",
            "text": "?",
            "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}],
        },
        "choices",
        "at least one choice must be correct",
    ),
    (
        {
            "id": "m",
            "type": "multiple_choice",
            "text": "?",
            "choices": [
                {"id": "a", "text": "A", "correct": True},
                {"id": "b", "text": "B", "correct": True},
            ],
        },
        "choices",
        "multiple: true",
    ),
    (
        {
            "id": "m",
            "type": "multiple_choice",
            "text": "?",
            "choices": [{"id": "a", "text": "A", "correct": True}, {"id": "a", "text": "B"}],
        },
        "choices[1].id",
        "duplicate",
    ),
    ({"id": "m", "type": "multipart", "text": "?", "parts": []}, "parts", "non-empty"),
    (
        {
            "id": "m",
            "type": "multipart",
            "text": "?",
            "parts": [
                {"id": "a", "type": "numeric", "answer": 1},
                {"id": "a", "type": "numeric", "answer": 2},
            ],
        },
        "parts[1].id",
        "duplicate",
    ),
    (
        {
            "id": "m",
            "type": "multipart",
            "text": "?",
            "parts": [{"id": "part-1", "type": "numeric", "answer": 1}],
        },
        "parts[0].id",
        "identifier",
    ),
    (
        {"id": "m", "type": "multipart", "text": "?", "parts": [{"id": "a", "type": "essay"}]},
        "parts[0].type",
        "must be one of",
    ),
    (
        {
            "id": "m",
            "type": "multipart",
            "text": "?",
            "parts": [
                {"id": "a", "type": "numeric", "answer": "b"},
                {"id": "b", "type": "numeric", "answer": 1},
            ],
        },
        "parts[0].answer",
        "'b'",
    ),
    (
        {
            "id": "m",
            "type": "multipart",
            "text": "?",
            "parts": [
                {"id": "a", "type": "numeric", "answer": 1, "carry_forward": {"from": ["b"]}},
                {"id": "b", "type": "numeric", "answer": 1},
            ],
        },
        "parts[0].carry_forward.from[0]",
        "not an earlier part",
    ),
    (
        {
            "id": "m",
            "type": "multipart",
            "text": "?",
            "dual_form": ["a", "z"],
            "parts": [{"id": "a", "type": "numeric", "answer": 1}],
        },
        "dual_form",
        "two different",
    ),
    (
        {"id": "f", "type": "free_text", "text": "?", "min_chars": 10, "max_chars": 5},
        "min_chars",
        "must not exceed",
    ),
    (
        {"id": "f", "type": "free_text", "text": "?", "rubric": [{"id": "r", "criterion": "c"}]},
        "rubric[0].points",
        "required",
    ),
    ({"id": "e", "type": "exercise", "text": "?", "models": ["video"]}, "models", "subset"),
    (
        {
            "id": "e",
            "type": "exercise",
            "text": "?",
            "models": ["text"],
            "reflection": {"max_chars": -1},
        },
        "reflection.max_chars",
        "at least 0",
    ),
    (
        {
            "id": "e",
            "type": "exercise",
            "text": "?",
            "models": ["text"],
            "parts": [{"id": "a", "type": "multiple_choice", "choices": []}],
        },
        "parts[0].choices",
        "at least two",
    ),
]


@pytest.mark.parametrize(("spec", "path", "message"), BAD, ids=[b[1] for b in BAD])
def test_it_names_the_field_at_fault(spec, path, message):
    errors = validate_spec(spec)
    assert errors, "expected an error"
    matching = [e for e in errors if e.path == path]
    assert matching, [str(e) for e in errors]
    assert any(message in e.message for e in matching), [str(e) for e in errors]


def test_a_valid_spec_has_no_errors_and_extensions_are_allowed():
    assert validate_spec(OK) == []
    assert validate_spec({**OK, "x-author": "tara", "tags": ["l2"]}) == []
    assert validate_spec(DENOISING_TIME) == []


def test_a_non_mapping_is_refused():
    assert validate_spec(["not", "an", "item"])[0].message == "an item must be a mapping"


def test_all_errors_are_reported_at_once():
    errors = validate_spec({**OK, "points": -1, "max_attempts": 0, "tolerance": {"absolute": -1}})
    assert {e.path for e in errors} >= {"points", "max_attempts", "tolerance.absolute"}


FROM_RUN = {
    "id": "your-loss",
    "type": "numeric",
    "text": "Your token had probability {p}. Its loss?",
    "answer": "-ln(p)",
    "from_run": {"exercise": "two-models", "model": "text", "position": 1},
    "params": {"p": {"range": [0.01, 0.99], "step": 0.01}},
}


@pytest.mark.parametrize(
    ("from_run", "params", "field"),
    [
        ("two-models", FROM_RUN["params"], "from_run"),
        ({"exercise": "Two Models", "model": "text"}, FROM_RUN["params"], "from_run.exercise"),
        ({"exercise": "two-models", "model": "audio"}, FROM_RUN["params"], "from_run.model"),
        (
            {"exercise": "two-models", "model": "text", "position": 0},
            FROM_RUN["params"],
            "from_run.position",
        ),
        (
            {"exercise": "two-models", "model": "text", "tokens": True},
            FROM_RUN["params"],
            "from_run.tokens",
        ),
        (
            {"exercise": "two-models", "model": "text", "seed": 1},
            FROM_RUN["params"],
            "from_run.seed",
        ),
        ({"exercise": "two-models", "model": "text"}, None, "params"),
    ],
)
def test_a_your_run_item_names_its_exercise_and_declares_its_params(from_run, params, field):
    spec = {**FROM_RUN, "from_run": from_run}
    if params is None:
        spec.pop("params")
    assert field in {e.path for e in validate_spec(spec)}


def test_a_well_formed_your_run_item_validates():
    assert validate_spec(FROM_RUN) == []
