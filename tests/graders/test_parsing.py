"""What students type -> what it is read as (canonical text), or why not (message, position)."""

import pytest

from graders import interpret

NUM = {"id": "p-num", "type": "numeric", "text": "?", "answer": 1}
SYM = {"id": "p-sym", "type": "symbolic", "text": "?", "answer": "x", "variables": ["x", "y"]}
LOG10 = {"id": "p-l10", "type": "symbolic", "text": "?", "answer": "1", "log_base": 10}

READS_AS = [
    (NUM, "4", "4"),
    (NUM, "+4", "4"),
    (NUM, " 4 ", "4"),
    (NUM, "-0.5", "-0.5"),
    (NUM, ".5", ".5"),
    (NUM, "1.2e-3", "1.2e-3"),
    (NUM, "1.2E3", "1.2E3"),
    (NUM, "1.2×10^-3", "1.2*10^(-3)"),
    (NUM, "1.2*10**-3", "1.2*10^(-3)"),
    (NUM, "1.2 · 10⁻³", "1.2*10^(-3)"),
    (NUM, "2^3^2", "2^3^2"),
    (NUM, "(2^3)^2", "(2^3)^2"),
    (NUM, "-2^2", "-2^2"),
    (NUM, "2^-1", "2^(-1)"),
    (NUM, "10²", "10^2"),
    (NUM, "2ln(3)", "2*ln(3)"),
    (NUM, "2(3+1)", "2*(3 + 1)"),
    (NUM, "(1+2)(3+4)", "(1 + 2)*(3 + 4)"),
    (NUM, "2pi", "2*pi"),
    (NUM, "2π", "2*pi"),
    (NUM, "√2", "sqrt(2)"),
    (NUM, "√(2)", "sqrt(2)"),
    (NUM, "e^2", "e^2"),
    (NUM, "exp(2)", "exp(2)"),
    (NUM, "ln 3", "ln(3)"),
    (NUM, "ln 10/3", "ln(10)/3"),
    (NUM, "log(3)", "ln(3)"),
    (NUM, "Log(3)", "ln(3)"),
    (NUM, "log10(3)", "log10(3)"),
    (NUM, "log_10(3)", "log10(3)"),
    (NUM, "log_2 8", "log2(8)"),
    (NUM, "log2(8)", "log2(8)"),
    (NUM, "|-3|", "abs(-3)"),
    (NUM, "abs(-3)", "abs(-3)"),
    (NUM, "5!", "5!"),
    (NUM, "(2+1)!", "(2 + 1)!"),
    (NUM, "1 - (2 - 3)", "1 - (2 - 3)"),
    (NUM, "1 - 2 - 3", "1 - 2 - 3"),
    (NUM, "8/(2*2)", "8/(2*2)"),
    (NUM, "8/2/2", "8/2/2"),
    (NUM, "8÷2", "8/2"),
    (NUM, "３×４", "3*4"),
    (NUM, "−3", "-3"),
    (NUM, "– 3", "-3"),
    (NUM, "--3", "-(-3)"),
    (NUM, "sin^2(1)", "sin(1)^2"),
    (NUM, "arcsin(0.5)", "asin(0.5)"),
    (NUM, r"\frac{10}{3}", "10/3"),
    (NUM, r"\dfrac{1}{2}", "1/2"),
    (NUM, r"\frac12", "1/2"),
    (NUM, r"\sqrt{2}", "sqrt(2)"),
    (NUM, r"\sqrt[3]{8}", "8^(1/3)"),
    (NUM, r"\ln\left(\frac{10}{3}\right)", "ln(10/3)"),
    (NUM, r"\log_{10}(1000)", "log10(1000)"),
    (NUM, r"\log_2 8", "log2(8)"),
    (NUM, r"2 \cdot 3", "2*3"),
    (NUM, r"2 \times 3", "2*3"),
    (NUM, r"\pi", "pi"),
    (NUM, r"\exp(1)", "exp(1)"),
    (NUM, "$4$", "4"),
    (NUM, "3,145,728", "3145728"),
    (NUM, "1,000,000.5", "1000000.5"),
    (SYM, "2x", "2*x"),
    (SYM, "xy", "x*y"),
    (SYM, "x y", "x*y"),
    (SYM, "x(x+1)", "x*(x + 1)"),
    (SYM, "x²", "x^2"),
    (SYM, "2x^2+3x", "2*x^2 + 3*x"),
    (SYM, "(x+y)/(x-y)", "(x + y)/(x - y)"),
    (SYM, r"\frac{x}{y}", "x/y"),
    (SYM, "e^x", "e^x"),
    (SYM, "ex", "e*x"),
    (LOG10, "log(100)", "log10(100)"),
    (LOG10, "ln(100)", "ln(100)"),
]


@pytest.mark.parametrize(
    ("spec", "raw", "canonical"), READS_AS, ids=[f"{s['id']}:{r}" for s, r, _ in READS_AS]
)
def test_it_reads_what_students_type(spec, raw, canonical):
    i = interpret(spec, raw)
    assert i.ok, i.message
    assert i.canonical == canonical


@pytest.mark.parametrize(
    ("spec", "raw", "canonical"), READS_AS[:40], ids=[f"{s['id']}:{r}" for s, r, _ in READS_AS[:40]]
)
def test_the_canonical_text_reads_back_the_same(spec, raw, canonical):
    assert interpret(spec, canonical).canonical == canonical


REFUSED = [
    # (spec, raw, message substring, position)
    (NUM, "1,2", "decimal comma", 1),
    (NUM, "0,3", "decimal comma", 1),
    (NUM, "1,204", "has a comma", 1),
    (NUM, "2 3", "operator missing", 2),
    (NUM, "(2)3", "operator missing", 3),
    (NUM, "2 + ", "ends after '+'", 2),
    (NUM, "(1+2", "never closed", 0),
    (NUM, "1+2)", "no matching opening", 3),
    (NUM, "2 # 3", "“#” cannot be used", 2),
    (NUM, "2 ? 3", "cannot be used", 2),
    (NUM, "2 = 2", "cannot be used", 2),
    (NUM, "y", "not a unit or function", 0),
    (NUM, "4 + foo", "'foo'", 4),
    (NUM, "sqrt", "needs an argument", 0),
    (NUM, "ln0.3", "brackets", 0),
    (NUM, "−ln(0,3)", "decimal comma", 5),
    (NUM, "２ ＃", "cannot be used", 2),
    (NUM, r"\alpha", "'alpha' is not", 0),
    (NUM, r"\frac{1}", "needs {...}", 0),
    (NUM, "()", "empty", 0),
    (NUM, "", "empty", None),
    (SYM, "z", "use the variables x, y", 0),
    (SYM, "x,y", "give one value", 1),
    (SYM, "4 s", "not a name I know", 2),
]


@pytest.mark.parametrize(
    ("spec", "raw", "message", "position"),
    REFUSED,
    ids=[f"{s['id']}:{r}" for s, r, _, _ in REFUSED],
)
def test_it_says_what_is_wrong_and_where(spec, raw, message, position):
    i = interpret(spec, raw)
    assert not i.ok
    assert message in i.message
    assert i.position == position


def test_positions_count_characters_of_the_raw_answer_not_the_normalised_one():
    # π becomes "pi" internally; the bad character is still reported where it was typed
    i = interpret(NUM, "π + √2 + #")
    assert i.position == 9


def test_latex_and_mathml_are_produced_for_display():
    i = interpret(NUM, "10/3")
    assert i.latex == r"\frac{10}{3}"
    assert "<mfrac>" in i.mathml
