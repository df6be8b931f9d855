"""Hostile input to what issue 14 added (exact proofs, answer types, Greek names, nested
|...|): every answer gets a verdict within the time budget, and never a guess."""

import time

import pytest

from graders import grade


def symbolic(answer, variables=("x",), **kw):
    return {
        "id": "h-14",
        "type": "symbolic",
        "text": "?",
        "answer": answer,
        "variables": list(variables),
        **kw,
    }


HOSTILE = [
    # (spec, answer, outcomes allowed)
    (symbolic("x"), "|" * 41 + "x" + "|" * 41, {"invalid"}),
    (symbolic("x"), "|" * 30 + "x" + "|" * 30, {"correct"}),  # 30 nested |...| of a positive x
    (symbolic("x"), "(x+1)^1000 - (1+x)^1000 + x", {"correct", "undecided"}),
    (symbolic("x"), "(x+1)^999*(x-1)^999 - (x^2-1)^999 + x", {"correct", "undecided"}),
    (symbolic("x"), "cos(2*pi*10^300)*x", {"correct", "undecided"}),
    (symbolic("x"), "x*" + "*".join(f"exp({i}*10^(-300))" for i in range(1, 20)), {"incorrect"}),
    (symbolic("x"), "+".join(["sin(x)^2+cos(x)^2-1"] * 10) + "+x", {"correct", "undecided"}),
    (symbolic("y = 2x + 1", ("x", "y")), "(y-2x-1)^200 = 0", {"incorrect", "undecided"}),
    (symbolic("y = 2x + 1", ("x", "y")), "=" * 300, {"invalid"}),
    (symbolic("y = 2x + 1", ("x", "y")), "y = " + "(" * 41 + "x" + ")" * 41, {"invalid"}),
    (symbolic("{1, 2, 3}", ()), "{" + ",".join(["1"] * 30) + "}", {"incorrect"}),
    (symbolic("{1, 2, 3}", ()), "{" + ",".join(["1"] * 200) + "}", {"invalid"}),
    (symbolic("{1, 2, 3}", ()), "{" * 200 + "}" * 200, {"invalid"}),
    (symbolic("(1, 2)", ()), "(" + ",".join(f"sqrt({i})" for i in range(30)) + ")", {"incorrect"}),
    (symbolic("[1, 3)", ()), " U ".join(["[1, 3)"] * 31), {"invalid"}),
    (symbolic("[1, 3)", ()), "[" + "9" * 40 + ", oo)", {"incorrect"}),
    (symbolic("x > 2", ("x",)), "x > " + "9^" * 30 + "9", {"invalid", "incorrect", "undecided"}),
    (symbolic("alpha", ("alpha",)), "α" * 24, {"incorrect", "undecided"}),
    (symbolic("alpha", ("alpha",)), "α" * 200, {"invalid"}),
    (symbolic("x"), "log(x, log(x, log(x, log(x, 2))))", {"incorrect", "invalid"}),
]


@pytest.mark.parametrize(("spec", "answer", "outcomes"), HOSTILE)
def test_hostile_input_to_the_new_answer_types(spec, answer, outcomes, warm_pool, monkeypatch):
    monkeypatch.setenv("GRADER_TIME_BUDGET_S", "0.5")
    t0 = time.perf_counter()
    r = grade(spec, answer)
    elapsed = time.perf_counter() - t0
    assert r.outcome in outcomes, (r.outcome, r.feedback)
    assert elapsed < 0.5 + 0.5
