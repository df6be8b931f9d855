"""Anything a student can type: each hostile input gets a verdict, within the time budget.

Inputs the parser refuses never reach sympy; the few that are valid but expensive for sympy are
sent to the grader pool, where the budget is enforced by killing the worker (tested here with
a 0.5 s budget so the suite stays fast: the mechanism is the same at 1 s).
"""

import time

import pytest

from graders import grade

NUMERIC = {
    "id": "h-num",
    "type": "numeric",
    "text": "How many seconds?",
    "answer": 4,
    "tolerance": {"relative": 0.01},
}
SYMBOLIC = {
    "id": "h-sym",
    "type": "symbolic",
    "text": "Expand (x+1)^2",
    "answer": "(x+1)^2",
    "variables": ["x"],
}
BUDGET_S = 1.0

HOSTILE_NUMERIC = [
    ("__import__('os')", "invalid", "cannot be used"),
    ("__import__", "invalid", "not a unit or function"),
    ('__import__("os").system("ls")', "invalid", ""),
    ("().__class__", "invalid", "cannot be used"),
    ("().__class__.__bases__[0].__subclasses__()", "invalid", ""),
    ("eval('1')", "invalid", ""),
    ("exec('import os')", "invalid", ""),
    ("open('/etc/passwd').read()", "invalid", ""),
    ("lambda: 1", "invalid", ""),
    ("[x for x in range(10**9)]", "invalid", ""),
    ("import os", "invalid", ""),
    ("os.system('rm -rf /')", "invalid", ""),
    ("globals()", "invalid", ""),
    ("${jndi:ldap://x}", "invalid", ""),
    ("<script>alert(1)</script>", "invalid", ""),
    ("'; DROP TABLE attempts; --", "invalid", ""),
    ("\\input{/etc/passwd}", "invalid", "not supported"),
    ("\\def\\x{1}", "invalid", "not supported"),
    ("9**9**9**9", "invalid", "too large"),
    ("9^9^9^9", "invalid", "too large"),
    ("10^10^10", "invalid", "too large"),
    ("factorial(10**9)", "invalid", ""),
    ("(10^9)!", "invalid", "factorial"),
    ("171!", "invalid", "factorial"),
    ("3!!!", "invalid", "factorial"),
    ("170!", "incorrect", ""),
    ("(" * 10_000 + "1" + ")" * 10_000, "invalid", "too long"),
    ("(" * 45 + "4" + ")" * 45, "invalid", "nested too deeply"),
    ("(" * 30 + "4" + ")" * 30, "correct", ""),
    ("sin(" * 100 + "1" + ")" * 100, "invalid", "nested too deeply"),
    ("-" * 500 + "4", "invalid", "too long"),
    ("-" * 45 + "4", "invalid", "nested too deeply"),
    ("1+" * 400 + "1", "invalid", "too long"),
    ("2" + "^2" * 300, "invalid", ""),
    ("x" * 100_000, "invalid", "too long"),
    ("1" * 100_000, "invalid", "too long"),
    ("4" + " " * 900, "correct", ""),
    ("nan", "invalid", "not a number"),
    ("NaN", "invalid", "not a number"),
    ("inf", "invalid", "not a number"),
    ("-inf", "invalid", "not a number"),
    ("infinity", "invalid", "not a number"),
    ("oo", "invalid", "not a number"),
    ("zoo", "invalid", "not a number"),
    ("\\infty", "invalid", "not a number"),
    ("1e999999999", "invalid", "out of range"),
    ("1e-400", "invalid", "out of range"),
    ("1e300*1e10", "invalid", "too large"),
    ("1e308", "invalid", "out of range"),
    ("exp(exp(exp(exp(10))))", "invalid", "too large"),
    ("e^(e^(e^(e^e)))", "invalid", "too large"),
    ("1" * 60, "invalid", "too many digits"),
    # backtracking traps for naive regexes (quadratic in the length without possessive groups)
    ("1" * 999 + "x", "invalid", "too many digits"),
    ("1." + "1" * 990 + "x", "invalid", "too many digits"),
    ("9" * 95 + "e", "invalid", "too many digits"),
    ("\\mathrm{" + " " * 990, "invalid", "needs a {...}"),
    ("4" + " ." * 490, "invalid", "cannot be used"),
    ("3," + "000," * 200 + "0", "invalid", ""),
    ("1/0", "invalid", "division by zero"),
    ("\\frac{1}{0}", "invalid", "division by zero"),
    ("ln(0)", "invalid", "logarithm"),
    ("ln(-1)", "invalid", "logarithm"),
    ("sqrt(-1)", "invalid", "square root"),
    ("(-8)^(1/3)", "invalid", "not a real number"),
    ("사 초", "invalid", "not a unit or function"),
    ("4초", "invalid", "leave out the unit"),
    ("４초 ", "invalid", "leave out the unit"),
    ("한국어 답", "invalid", "not a unit or function"),
    ("사", "invalid", "not a unit or function"),
    ("≈≈4", "invalid", "cannot be used"),
    ("x = 4 = 4", "invalid", "cannot be used"),
    ("", "invalid", "empty"),
    ("   ", "invalid", "empty"),
    ("\x00", "invalid", "cannot be used"),
    ("\u202e4", "invalid", "cannot be used"),
    ("0x1F", "invalid", ""),
    ("1_000", "invalid", ""),
    ("1e5e5", "invalid", ""),
    ("2**", "invalid", "ends after"),
    ("**2", "invalid", ""),
    ("|||||", "invalid", ""),
    ("{{{{", "invalid", ""),
    ("\\frac{" * 50 + "1}{2}" * 50, "invalid", "nested too deeply"),
    ("a" * 900, "invalid", "not a unit or function"),
    ("４", "correct", ""),
    ("4\u200b", "correct", ""),
    ("tan(pi/2)", "incorrect", ""),
    ("4" * 1 + "\n" * 50 + "+0", "correct", ""),
]


@pytest.mark.parametrize(
    ("answer", "outcome", "expect"),
    HOSTILE_NUMERIC,
    ids=[repr(a[:24]) for a, _, _ in HOSTILE_NUMERIC],
)
def test_hostile_input_to_a_numeric_item(answer, outcome, expect):
    t0 = time.perf_counter()
    r = grade(NUMERIC, answer)
    elapsed = time.perf_counter() - t0
    assert r.outcome == outcome, (r.outcome, r.feedback)
    assert expect.lower() in r.feedback.lower(), r.feedback
    assert elapsed < BUDGET_S
    assert r.elapsed_ms < BUDGET_S * 1000


HOSTILE_SYMBOLIC = [
    ("__import__('os').system('id')", "invalid"),
    ("x.__class__", "invalid"),
    ("x^(10^10)", "invalid"),
    ("x^9^9^9", "invalid"),
    ("Symbol('y')", "invalid"),
    ("x^2+2x+1", "correct"),
    ("xx+2x+1", "correct"),
    ("y^2", "invalid"),
    ("(" * 41 + "x" + ")" * 41, "invalid"),
]


@pytest.mark.parametrize(("answer", "outcome"), HOSTILE_SYMBOLIC)
def test_hostile_input_to_a_symbolic_item(answer, outcome, warm_pool, monkeypatch):
    monkeypatch.setenv("GRADER_TIME_BUDGET_S", "0.5")
    t0 = time.perf_counter()
    r = grade(SYMBOLIC, answer)
    elapsed = time.perf_counter() - t0
    assert r.outcome == outcome, (r.outcome, r.feedback)
    assert elapsed < 0.5 + 0.5


EXPENSIVE = {
    "id": "h-expand",
    "type": "symbolic",
    "text": "Expand",
    "answer": "(x+y+z+1)^40",
    "variables": ["x", "y", "z"],
    "form": "expanded",
}


@pytest.mark.slow
def test_an_answer_that_makes_sympy_work_for_seconds_is_undecided_within_the_budget(
    warm_pool, monkeypatch
):
    monkeypatch.setenv("GRADER_TIME_BUDGET_S", "0.5")
    killed = warm_pool.killed
    t0 = time.perf_counter()
    r = grade(EXPENSIVE, "(x+y+z+1)^40")  # sympy's expand takes ~18 s here
    elapsed = time.perf_counter() - t0
    assert r.outcome == "undecided" and r.score is None
    assert "not counted" in r.feedback
    assert r.interpretation is not None and r.interpretation.canonical == "(x + y + z + 1)^40"
    assert 0.5 <= elapsed < 1.0
    assert warm_pool.killed == killed + 1


HEAVY = {
    "id": "h-heavy",
    "type": "symbolic",
    "text": "?",
    "answer": "x^2+ln(x)",
    "variables": ["x", "y"],
    "mistakes": [{"answer": f"x^{k}", "feedback": "no", "tag": f"m{k}"} for k in range(8)],
}
LARGEST_IN_PROCESS = [
    "+".join(["x"] * 199),
    "*".join(["x"] * 199),
    " ".join(["x"] * 399),
    "sin(" * 39 + "x" + ")" * 39,
    "ln " * 39 + "x",
    "+".join(["sin(x)^2"] * 49),
    "+".join(["exp(x)/y"] * 49),
    "(" * 39 + "x+y" + ")" * 39,
]


@pytest.mark.parametrize("answer", LARGEST_IN_PROCESS, ids=lambda a: a[:20])
def test_the_largest_answers_the_caps_allow_grade_in_process_well_within_the_budget(answer):
    import resource

    before = resource.getrusage(resource.RUSAGE_THREAD)
    r = grade(HEAVY, answer)
    after = resource.getrusage(resource.RUSAGE_THREAD)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert r.outcome in ("correct", "incorrect", "invalid")
    assert cpu < 0.25, f"{cpu:.3f} s of CPU"
