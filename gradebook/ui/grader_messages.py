"""The grader's messages in the page's language.

``graders`` is a pure library (no Django, so no gettext): it writes its feedback, its help lines
and the reasons an answer cannot be read in English, each in one of a fixed set of shapes (one
per misconception tag: ``sign-error``, ``power-of-ten``, ``unit-dimension``...; one per parse
problem). Every shape is a rule here: a pattern with named parts and the msgid it becomes, so
the Korean catalog carries the grader's sentences like any other string. A sentence no rule
knows stays in English rather than disappearing; ``tests/gradebook/ui`` runs the course's
practice answers through the grader and fails when one is left untranslated.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

#: What ``graders.units.describe`` calls each dimension.
_DIMENSIONS = {
    "a time": gettext_noop("a time"),
    "a length": gettext_noop("a length"),
    "a mass": gettext_noop("a mass"),
    "an amount of data": gettext_noop("an amount of data"),
    "a frequency": gettext_noop("a frequency"),
    "a speed": gettext_noop("a speed"),
    "a data rate": gettext_noop("a data rate"),
    "a plain number": gettext_noop("a plain number"),
    "an acceleration": gettext_noop("an acceleration"),
    "a force": gettext_noop("a force"),
    "an energy": gettext_noop("an energy"),
    "a power": gettext_noop("a power"),
    "a volume": gettext_noop("a volume"),
    "an area": gettext_noop("an area"),
    "a density": gettext_noop("a density"),
}


def _dimension(text: str) -> str:
    if text in _DIMENSIONS:
        return _(_DIMENSIONS[text])
    if text.startswith("a quantity in "):
        return _("a quantity in %(units)s") % {"units": text.removeprefix("a quantity in ")}
    return text


def _plural(n: str, one: str, many: str) -> str:
    return one if n == "1" else many


#: ``Tolerance.describe`` fragments ("within 1% of the exact value"...).
_TOLERANCES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"within ±(?P<v>\S+?)(?P<u> \S+)? of the exact value"),
        lambda m: _("within ±%(v)s%(u)s of the exact value") % {"v": m["v"], "u": m["u"] or ""},
    ),
    (
        re.compile(r"within (?P<p>\S+)% of the exact value"),
        lambda m: _("within %(p)s%% of the exact value") % {"p": m["p"]},
    ),
    (
        re.compile(r"exactly \(up to rounding in the last digits\)"),
        lambda m: _("exactly (up to rounding in the last digits)"),
    ),
    (
        re.compile(
            r"with exactly (?P<n>\d+) significant figures?, the first (?P<m>\d+) of them right"
        ),
        lambda m: (
            _("with exactly %(n)s significant figures, the first %(m)s of them right")
            % {"n": m["n"], "m": m["m"]}
        ),
    ),
    (
        re.compile(r"with at least (?P<n>\d+) significant figures?"),
        lambda m: _("with at least %(n)s significant figures") % {"n": m["n"]},
    ),
    (
        re.compile(r"with at least (?P<n>\d+) decimal places?"),
        lambda m: _("with at least %(n)s decimal places") % {"n": m["n"]},
    ),
    (
        re.compile(r"with at most (?P<n>\d+) significant figures?"),
        lambda m: _("with at most %(n)s significant figures") % {"n": m["n"]},
    ),
    (
        re.compile(r"with at most (?P<n>\d+) decimal places?"),
        lambda m: _("with at most %(n)s decimal places") % {"n": m["n"]},
    ),
    (
        re.compile(r"rounded to (?P<n>\d+) significant figures? \(a 5 rounds up\)"),
        lambda m: _("rounded to %(n)s significant figures (a 5 rounds up)") % {"n": m["n"]},
    ),
    (
        re.compile(r"rounded to (?P<n>\d+) significant figures? \(a 5 rounds to the even digit\)"),
        lambda m: (
            _("rounded to %(n)s significant figures (a 5 rounds to the even digit)") % {"n": m["n"]}
        ),
    ),
    (
        re.compile(r"rounded to (?P<n>\d+) decimal places? \(a 5 rounds up\)"),
        lambda m: _("rounded to %(n)s decimal places (a 5 rounds up)") % {"n": m["n"]},
    ),
    (
        re.compile(r"rounded to (?P<n>\d+) decimal places? \(a 5 rounds to the even digit\)"),
        lambda m: (
            _("rounded to %(n)s decimal places (a 5 rounds to the even digit)") % {"n": m["n"]}
        ),
    ),
    (
        re.compile(r"with exactly (?P<n>\d+) significant figures?"),
        lambda m: _("with exactly %(n)s significant figures") % {"n": m["n"]},
    ),
    (
        re.compile(r"correct to (?P<n>\d+) significant figures?"),
        lambda m: _("correct to %(n)s significant figures") % {"n": m["n"]},
    ),
    (
        re.compile(r"with exactly (?P<n>\d+) decimal places?"),
        lambda m: _("with exactly %(n)s decimal places") % {"n": m["n"]},
    ),
    (
        re.compile(r"correct to (?P<n>\d+) decimal places?"),
        lambda m: _("correct to %(n)s decimal places") % {"n": m["n"]},
    ),
]


def _tolerance(text: str) -> str:
    for pattern, render in _TOLERANCES:
        m = pattern.fullmatch(text)
        if m:
            return render(m)
    return text


#: Named parts that are themselves grader phrases, translated before they are filled in.
_CONVERT: dict[str, Callable[[str], str]] = {
    "dim": _dimension,
    "dim2": _dimension,
    "tol": _tolerance,
}

#: Every sentence shape the grader writes, as its msgid: the pattern that recognises it is built
#: from the msgid itself (``%(name)s`` matches any text), so the two cannot drift apart. More
#: specific shapes come first ("Check the sign: ..." before "Check %(names)s: ...").
_MESSAGES: tuple[str, ...] = (
    gettext_noop("Correct."),
    gettext_noop("Incorrect."),
    gettext_noop("Partly right."),
    gettext_noop("%(n)s of %(m)s parts correct."),
    gettext_noop("Saved: your teacher will review this answer."),
    gettext_noop("Saved: your teacher will review this exercise."),
    gettext_noop("%(n)s of %(m)s right answers chosen, %(w)s wrong."),
    gettext_noop("%(n)s of %(m)s right answers chosen."),
    gettext_noop("Expected %(dim)s (for example in %(unit)s); '%(typed)s' is %(dim2)s."),
    gettext_noop("Right value, but give it %(tol)s."),
    gettext_noop("Count the digits you typed: the question asks for %(tol)s."),
    gettext_noop("Check the sign: your answer has the opposite sign of the right one."),
    gettext_noop("Your value has the right size but the wrong sign."),
    gettext_noop("Check the sign: your answer is the negative of the right one."),
    gettext_noop("The number is right but the unit is not: %(a)s, not %(b)s."),
    gettext_noop(
        "Your answer is off by a factor of 10^%(k)s: check the conversion from %(u)s (the answer "
        "is expected in %(unit)s)."
    ),
    gettext_noop(
        "Your number is off by a factor of 10^%(k)s: is it in %(unit)s? Typing the unit avoids "
        "this slip."
    ),
    gettext_noop("Your answer is off by a factor of 10^%(k)s: check powers of ten."),
    gettext_noop(
        "%(v)s is a number given in the question, not the result: for example a per-step value "
        "where a total is asked. Work out what the question asks for from it."
    ),
    gettext_noop("Close, but not %(tol)s: keep more digits until the last step, then round."),
    gettext_noop("Your decimal is about right, but give the exact value: %(rest)s"),
    gettext_noop(
        "Right value, but give an exact answer without decimals (fractions, ln, sqrt...)."
    ),
    gettext_noop("give an exact answer without decimals (fractions, ln, sqrt...)."),
    gettext_noop("Right value, but write it in natural-log form: exactly, with ln."),
    gettext_noop("write it in natural-log form: exactly, with ln."),
    gettext_noop("Right value, but expand it: multiply out every bracket."),
    gettext_noop("Right value, but factor it as far as possible."),
    gettext_noop("Right value, but simplify it further."),
    gettext_noop(
        "Correct working from your earlier answer (%(used)s): the error there is carried "
        "forward, not counted twice."
    ),
    gettext_noop("Your exact answer is right: its decimal value is %(v)s."),
    gettext_noop("Your decimal is right, but your exact answer is not the same value."),
    gettext_noop(
        "Your decimal matches your exact answer, so the slip is in the exact answer: fix it and "
        "the decimal follows."
    ),
    gettext_noop("Check %(names)s: %(rest)s"),
    gettext_noop("add a unit: the answer is %(dim)s (for example in %(unit)s)"),
    gettext_noop("this question asks for a plain number: leave out the unit '%(u)s'"),
    gettext_noop("type a number here, not an expression (for example 4.5)"),
    gettext_noop("%(x)s cannot be evaluated: %(why)s"),
    gettext_noop("the answer is empty"),
    gettext_noop("the answer ends too early"),
    gettext_noop("the answer must be text"),
    gettext_noop("no answer yet"),
    gettext_noop("answer each part: expected {part id: answer}"),
    gettext_noop("choose one of the options"),
    gettext_noop("choose an option"),
    gettext_noop("choose only one option"),
    gettext_noop("%(n)s of %(m)s pairs right."),
    gettext_noop("match each item: expected {item: answer}"),
    gettext_noop("match at least one item"),
    gettext_noop("'%(x)s' is not one of the options"),
    gettext_noop("write your answer as text"),
    gettext_noop("write your reflection"),
    gettext_noop("write at least %(n)s characters (you wrote %(m)s)"),
    gettext_noop("write at most %(n)s characters (you wrote %(m)s)"),
    gettext_noop(
        "'%(c)s' cannot be used here: this answer is one expression, not an equation or "
        "inequality (type the expression alone, without '%(c)s')"
    ),
    gettext_noop("the character “%(c)s” cannot be used in an answer"),
    gettext_noop("'%(o)s' is never closed: expected '%(c)s'"),
    gettext_noop(
        "'%(o)s...%(c)s' with commas is a list of values, but this answer is one value: type a "
        "single number or expression (decimals take a point: 1.204)"
    ),
    gettext_noop(
        "'%(s)s' is not a number: type a number (for example 4.5); '%(s)s' is read as 'times' "
        "only after a number (48%(s)s)"
    ),
    gettext_noop("%(x)s has no real value for any allowed %(v)s: %(why)s"),
    gettext_noop("%(x)s is not a real number at %(where)s: %(why)s"),
    # Equations, inequalities and intervals, sets, tuples (graders/structured.py).
    gettext_noop("write an equation with one '=' (for example y = 2x + 1)"),
    gettext_noop("write one equation, with exactly one '='"),
    gettext_noop("this answer is an inequality: use <, >, <= or >= (an equation has no range)"),
    gettext_noop("a chain such as 1 < x <= 3 goes one way: all < or all >"),
    gettext_noop("at most two comparisons, as in 1 < x <= 3"),
    gettext_noop("write a set in braces, for example {1, 2, 3} (or {} for the empty set)"),
    gettext_noop("write the components in brackets, separated by commas: for example (1, 2)"),
    gettext_noop("something is missing here"),
    gettext_noop("too many elements (at most %(n)s)"),
    gettext_noop("leave out the unit '%(u)s' here"),
    gettext_noop(
        "write an interval as [a, b], (a, b), [a, b) or (a, b], or an inequality such as x > 2"
    ),
    gettext_noop("an interval has two endpoints, separated by one comma"),
    gettext_noop("an interval is written low endpoint first: (a, b) with a < b"),
    gettext_noop("infinity is never included: write ( or ) next to oo"),
    gettext_noop(
        "The endpoints are right, but check which are included: [ ] and <= include an "
        "endpoint, ( ) and < leave it out."
    ),
    gettext_noop("Every element you gave is right, but 1 element is missing."),
    gettext_noop("Every element you gave is right, but %(n)s elements are missing."),
    gettext_noop("Every right element is there, but 1 element is not in the set."),
    gettext_noop("Every right element is there, but %(n)s elements are not in the set."),
    gettext_noop("%(r)s of your elements are right; the set has %(n)s."),
    gettext_noop("The answer has %(n)s components; yours has %(m)s."),
    gettext_noop("The right components, but in the wrong order."),
    gettext_noop("%(r)s of %(n)s components are right."),
    gettext_noop("Right value, but type it as a number %(tol)s."),
    gettext_noop("Work it out and type the number itself: the question asks for %(tol)s."),
    gettext_noop("Close, but not %(tol)s: check which way the last digit rounds."),
    gettext_noop("Written as %(t)s, it has %(n)s significant figure: write %(how)s for %(m)s."),
    gettext_noop("Written as %(t)s, it has %(n)s significant figures: write %(how)s for %(m)s."),
    gettext_noop("Right quantity, but give it in %(u)s, as the question asks."),
    gettext_noop("add %%: the answer is a percentage (for example 25%%)"),
    # Why a value cannot be worked out (the %(why)s above).
    gettext_noop("division by zero"),
    gettext_noop("the square root of a negative number is not a real number"),
    gettext_noop("a negative number to a fractional power is not a real number"),
    gettext_noop("the logarithm of zero or a negative number is undefined"),
    gettext_noop("the value is not a finite real number (math domain error)"),
    gettext_noop("the value is not a finite real number"),
    gettext_noop("the value is too large to evaluate"),
    gettext_noop("expected '%(x)s' at the end"),
    gettext_noop("expected '%(x)s' at '%(at)s'"),
    gettext_noop("the answer ends after '%(op)s': something is missing"),
    gettext_noop("empty '%(x)s': put a number or an expression inside"),
    gettext_noop("expected a number or an expression at the end"),
    gettext_noop("expected a number or an expression at '%(at)s'"),
    gettext_noop("'%(s)s' is a unit: put the number in front of it (4 %(s)s)"),
    gettext_noop("%(f)s needs an argument, for example %(f)s(3)"),
    gettext_noop("'%(r)s' was read, then '%(x)s' was not expected: is an operator missing?"),
    gettext_noop(
        "'%(x)s' has no matching opening bracket: remove it, or add the opening bracket where "
        "it belongs"
    ),
    gettext_noop("'%(x)s' is not a unit I know"),
    gettext_noop("'%(x)s' is not a unit or function I know"),
    gettext_noop("the unit is incomplete"),
    gettext_noop(
        "'%(x)s' is not a name I know: use numbers, pi, e and functions such as ln or sqrt"
    ),
    gettext_noop("'%(x)s' is not a name I know: use the variables %(v)s, numbers and functions"),
    gettext_noop("'%(x)s' is not a number: enter a finite value"),
    gettext_noop("a number follows another value: is an operator missing before '%(x)s'?"),
    gettext_noop("'%(a)s' has a decimal comma: write decimals with a point (for example %(b)s)"),
    gettext_noop(
        "'%(s)s' has a comma: write decimals with a point (%(a)s); for thousands, leave the "
        "comma out (%(b)s)"
    ),
    gettext_noop(
        "a comma cannot be used here: write decimals with a point (1.204) and give one value"
    ),
    gettext_noop(
        "give one value: a comma cannot separate values, and decimals take a point (1.204)"
    ),
    gettext_noop("the answer is too long (%(rest)s)"),
    gettext_noop("too many digits (at most %(n)s)"),
    gettext_noop("the exponent %(e)s is out of range (at most ±%(n)s)"),
    gettext_noop("put the argument of %(f)s in brackets: %(ex)s"),
    gettext_noop(
        "We could not decide on this answer within %(b)s s, so it was not counted. Try writing "
        "it more simply."
    ),
    gettext_noop(
        "This answer could not be checked, so it was not counted. Try writing it more simply."
    ),
    gettext_noop(
        "The answer could not be graded because of an internal error; it was not counted."
    ),
    gettext_noop("This answer could not be read."),
    gettext_noop("That unit is of the wrong kind for this answer."),
    gettext_noop("You have used all %(n)s attempts at this item."),
    gettext_noop("Too many answers at once for this item; please submit again."),
    gettext_noop(
        "This item cannot be graded right now (its spec is invalid); your answer was not "
        "recorded. Please tell your teacher."
    ),
    gettext_noop("Give a number %(tol)s."),
    gettext_noop("Give a number; expressions such as 50*0.08 are worked out."),
    gettext_noop("Include a unit (for example %(u)s); other units of the same kind are converted."),
    gettext_noop("The answer is in %(u)s unless you type another unit."),
    gettext_noop("Type an expression."),
    gettext_noop("Type an equation, with one '='; any rearrangement of it counts."),
    gettext_noop("Type an inequality such as x > a, or an interval such as (a, b]."),
    gettext_noop("Type an interval such as [a, b) or (a, oo), or an inequality such as x > a."),
    gettext_noop("Type a set in braces, such as {a, b, c}; the order does not matter."),
    gettext_noop("Type the components in brackets, in order, such as (a, b)."),
    gettext_noop("Type an expression in %(v)s."),
    gettext_noop("Write it in natural-log form, for example %(ex)s."),
    gettext_noop("Give an exact answer, without decimals."),
    gettext_noop("Give it expanded."),
    gettext_noop("Give it factored."),
    gettext_noop("Give it simplified."),
    gettext_noop("Here log means log base 10."),
    gettext_noop("Choose all that apply."),
    gettext_noop("Choose one."),
)


def _pattern(msgid: str) -> re.Pattern[str]:
    """The regex that recognises ``msgid`` filled in: each %(name)s is a (lazy) named group, a
    name used twice must be the same text twice."""
    out, seen, pos = [], set(), 0
    for m in re.finditer(r"%\((\w+)\)s|%%", msgid):
        out.append(re.escape(msgid[pos : m.start()]))
        if m.group(0) == "%%":
            out.append("%")
        elif m.group(1) in seen:
            out.append(f"(?P={m.group(1)})")
        else:
            seen.add(m.group(1))
            out.append(f"(?P<{m.group(1)}>.+?)")
        pos = m.end()
    out.append(re.escape(msgid[pos:]))
    return re.compile("".join(out), re.DOTALL)


_RULES: list[tuple[re.Pattern[str], str]] = [(_pattern(msgid), msgid) for msgid in _MESSAGES]
#: Sentences end at ". " (or "? ") before a capital letter or a quote; "4.5" and "e.g. x" do not.
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z'“(])")


def _check(text: str) -> str | None:
    """ "Check <part label>: <message>" where the label itself may hold a colon."""
    start = text.find(": ", len("Check "))
    while start != -1:
        rest = _rule(text[start + 2 :])
        if rest is not None:
            return _("Check %(names)s: %(rest)s") % {"names": text[6:start], "rest": rest}
        start = text.find(": ", start + 2)
    return None


def _rule(text: str) -> str | None:
    if text.startswith("Check ") and not text.startswith("Check the sign"):
        checked = _check(text)
        if checked is not None:
            return checked
    for pattern, msgid in _RULES:
        m = pattern.fullmatch(text)
        if m:
            values = {
                name: _CONVERT.get(name, _nested)(value) if value is not None else ""
                for name, value in m.groupdict().items()
            }
            return _(msgid) % values
    return None


def _nested(value: str) -> str:
    """A part that may itself be a grader sentence ("Check One image: <message>")."""
    return _rule(value) or value


@functools.lru_cache(maxsize=4096)
def _translate(text: str, language: str) -> str:
    # A message may be several grader sentences (the help line: tolerance, then unit), and one
    # shape may itself be two sentences: match the shortest run of sentences a rule knows (a
    # %(name)s part never spans two sentences).
    sentences = _SENTENCE.split(text)
    out: list[str] = []
    i = 0
    while i < len(sentences):
        for j in range(i + 1, len(sentences) + 1):
            translated_run = _rule(" ".join(sentences[i:j]))
            if translated_run is not None:
                out.append(translated_run)
                i = j
                break
        else:
            out.append(sentences[i])
            i += 1
    return " ".join(out)


def translate_message(text: str) -> str:
    """``text`` from the grader in the active language; English (or unknown text) unchanged."""
    language = get_language() or "en"
    if not text or language.startswith("en"):
        return text
    return _translate(text, language)


def translated(texts: list[str]) -> list[str]:
    return [translate_message(t) for t in texts]
