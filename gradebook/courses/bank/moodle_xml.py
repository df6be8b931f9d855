"""Reading Moodle XML question banks (``docs/bank-format.md``, "Moodle XML and GIFT").

The file is parsed with ``defusedxml`` (no entity expansion, no external DTDs) and streamed:
each ``<question>`` is converted as soon as its end tag is read and then dropped, so a file of
5,000 questions never holds more than one question's tree. The parser's target records the
line of every ``<question>`` start tag, so each warning and each validation error names the
file, the line and the question.

Mapping (one function per Moodle type below): ``numerical`` -> ``numeric`` (the full-credit
answer is the key; other answers are declared mistakes, with their credit), ``multichoice`` and
``truefalse`` -> ``multiple_choice``, ``shortanswer`` -> ``short_text``, ``essay`` ->
``free_text``, ``description`` -> lesson text, ``category`` -> lesson. Anything else is
reported and left out whole.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from gradebook.courses.bank.errors import BankError, BankInvalid
from gradebook.courses.bank.foreign import (
    Answer,
    BankBuilder,
    Unmappable,
    category_parts,
    choice_fields,
    cloze_fields,
    essay_fields,
    feedback_text,
    finish_item,
    html_to_markdown,
    matching_fields,
    number,
    numeric_fields,
    plain_number,
    plain_text,
    short_text_fields,
    slugify,
    truefalse_fields,
)
from gradebook.courses.bank.loading import Document

CHUNK_BYTES = 64 * 1024


class _Target(ET.TreeBuilder):
    """A tree builder that hands each finished ``<question>`` on and forgets it."""

    def __init__(self, on_question: Callable[[ET.Element, int | None], None]) -> None:
        super().__init__()
        self.parser: Any = None
        self.on_question = on_question
        self.depth = 0
        self.root: ET.Element | None = None
        self.question_line: int | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        self.depth += 1
        if self.depth == 1:
            self.root = element
        elif self.depth == 2 and tag == "question":
            self.question_line = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> ET.Element:
        element = super().end(tag)
        self.depth -= 1
        if self.depth == 1 and tag == "question":
            self.on_question(element, self.question_line)
            if self.root is not None:
                self.root.remove(element)
        return element


def read_moodle_xml(raw: bytes, *, filename: str, course: str | None = None) -> Document:
    """A bank document from a Moodle XML file; unmappable questions become ``notes``."""
    stem = PurePath(filename).stem
    builder = BankBuilder(filename=filename, course=course or slugify(stem), title=stem)
    reader = _Reader(builder)
    target = _Target(reader.question)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.parser = parser
    try:
        for start in range(0, len(raw), CHUNK_BYTES):
            parser.feed(raw[start : start + CHUNK_BYTES])
        root = parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise BankInvalid(
            [BankError(filename, line, "", f"malformed XML: {exc}", column=column + 1)]
        ) from None
    except DefusedXmlException as exc:
        raise BankInvalid(
            [BankError(filename, None, "", f"refused: the file declares {exc}")]
        ) from None
    if root.tag != "quiz":
        raise BankInvalid(
            [
                BankError(
                    filename,
                    1,
                    "",
                    f"not a Moodle XML question file: the root element is <{root.tag}>, "
                    "expected <quiz>",
                )
            ]
        )
    return builder.document()


# --- Reading elements -----------------------------------------------------------------------


def _text(element: ET.Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "") if found is not None else ""


def _rich(element: ET.Element | None) -> str:
    """A ``<questiontext format="html"><text>`` style field as bank Markdown."""
    if element is None:
        return ""
    return html_to_markdown(_text(element), element.get("format", "html"))


def _flag(text: str, default: bool) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    return value in ("1", "true", "yes")


class _Reader:
    def __init__(self, builder: BankBuilder) -> None:
        self.builder = builder
        self.category: tuple[str, ...] = ()

    def question(self, element: ET.Element, line: int | None) -> None:
        kind = element.get("type", "")
        name = plain_text(_text(element.find("name")))
        if kind == "category":
            self.category = tuple(category_parts(_text(element.find("category"))))
            summary = plain_text(_text(element.find("info")))
            self.builder.lesson(self.category, line, summary, _text(element, "idnumber"))
            return
        files = [(f.get("name", ""), f.text or "") for f in element.iter("file")]
        if kind == "description":
            body = self.builder.embed_files(_rich(element.find("questiontext")), files, line, name)
            self.builder.add_body(self.category, body, line)
            return
        convert = _CONVERTERS.get(kind)
        if convert is None:
            self.builder.refuse(line, name, _refusal(kind))
            return
        notes: list[str] = []
        try:
            item = self.common(element, name, kind)
            convert(element, item, notes)
        except Unmappable as exc:
            self.builder.refuse(line, name, str(exc))
            return
        for note in notes:
            self.builder.warn(line, name, note)
        item = self.builder.embed_files(finish_item(item), files, line, name)
        self.builder.add_item(self.category, item, line, name)

    def common(self, element: ET.Element, name: str, kind: str) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": self.builder.item_id(
                idnumber=_text(element, "idnumber"), category=self.category, name=name
            ),
            "type": "",
            "text": _rich(element.find("questiontext")) or name or kind,
        }
        if name:
            item["title"] = name[:200]
        grade = _text(element, "defaultgrade").strip()
        if grade:
            points = number(grade, "the default grade")
            if 0 < points <= 9999:
                item["points"] = plain_number(points)
        penalty = _text(element, "penalty").strip()
        if penalty:
            value = number(penalty, "the penalty")
            if 0 < value < 1:
                item["retry_penalty"] = round(value, 7)
        explanation = _rich(element.find("generalfeedback"))
        if explanation:
            item["explanation"] = explanation
        hints = [_rich(h) for h in element.findall("hint")]
        if any(hints):
            item["hints"] = [h for h in hints if h]
        tags = [plain_text(_text(t)) for t in element.findall("tags/tag")]
        if any(tags):
            item["tags"] = [t for t in tags if t]
        return item


def _refusal(kind: str) -> str:
    known = {
        "random": "a random question draws from a category when a quiz starts; the project "
        "has no quizzes drawn at random (import the category's questions instead)",
        "randomsamatch": "random short-answer matching draws questions at quiz time; the "
        "project has no equivalent",
        "calculatedmulti": "calculated multichoice questions have no equivalent",
        "numericalunits": "this question type has no equivalent",
    }
    if kind in known:
        return known[kind]
    return f"the question type {kind!r} (a plugin or a type the project has no equivalent for)"


# --- One function per Moodle type --------------------------------------------------------------


def _feedback(answer: ET.Element) -> str:
    element = answer.find("feedback")
    if element is None:
        return ""
    return feedback_text(_text(element), element.get("format", "html"))


def _answer_list(element: ET.Element, *, rich: bool = False) -> list[Answer]:
    """Every ``<answer>``: Moodle writes fractions as percentages."""
    out = []
    for answer in element.findall("answer"):
        fraction = number(answer.get("fraction", "0") or "0", "the answer fraction") / 100.0
        text = _text(answer)
        out.append(
            Answer(
                fraction=fraction,
                text=html_to_markdown(text, answer.get("format", "html")) if rich else text,
                feedback=_feedback(answer),
                tolerance=number(_text(answer, "tolerance") or "0", "the tolerance"),
            )
        )
    return out


def _numerical(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    item.update(numeric_fields(_answer_list(element), notes))
    _units(element, item, notes)


def _units(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    from graders.units import lookup

    units = []
    for unit in element.findall("units/unit"):
        name = _text(unit, "unit_name").strip()
        multiplier = number(_text(unit, "multiplier") or "1", f"the multiplier of {name!r}")
        if name:
            units.append((name, multiplier))
    if not units:
        return
    if _text(element, "showunits").strip() == "3":
        notes.append("the units are listed but not shown to students (showunits 3): ignored")
        return
    base = [name for name, multiplier in units if multiplier == 1]
    if not base:
        raise Unmappable("no unit has multiplier 1, so the key's unit is unknown")
    found = lookup(base[0])
    if found is None:
        raise Unmappable(
            f"the unit {base[0]!r} is not one the grader knows (see graders/README.md)"
        )
    item["unit"] = found.text
    for name, multiplier in units:
        other = lookup(name)
        if other is None or other.dim != found.dim:
            raise Unmappable(f"the unit {name!r} is not one the grader can convert from {base[0]}")
        expected = found.factor / other.factor
        if not math.isclose(expected, multiplier, rel_tol=1e-9):
            raise Unmappable(
                f"the unit {name!r} has multiplier {multiplier:g}; the grader converts it "
                f"with {expected:g}"
            )
    item["unit_required"] = _text(element, "unitgradingtype").strip() not in ("", "0")
    penalty = _text(element, "unitpenalty").strip()
    if item["unit_required"] and penalty and number(penalty, "the unit penalty") not in (0, 1):
        notes.append(
            f"the unit penalty {penalty} is not kept: a wrong or missing unit is refused as "
            "unreadable, without using a try"
        )


def _multichoice(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    item.update(
        choice_fields(
            _answer_list(element, rich=True),
            single=_flag(_text(element, "single"), True),
            shuffle=_flag(_text(element, "shuffleanswers"), True),
            notes=notes,
        )
    )


def _truefalse(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    by_value: dict[str, Answer] = {}
    for answer in _answer_list(element):
        value = plain_text(answer.text).lower()
        if value not in ("true", "false"):
            raise Unmappable(f"a true/false answer reads {value!r}")
        by_value[value] = answer
    if set(by_value) != {"true", "false"} or (by_value["true"].fraction >= 1) == (
        by_value["false"].fraction >= 1
    ):
        raise Unmappable("a true/false question needs the answers true and false, one right")
    item.update(
        truefalse_fields(
            answer=by_value["true"].fraction >= 1,
            feedback_true=by_value["true"].feedback,
            feedback_false=by_value["false"].feedback,
        )
    )


def _shortanswer(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    item.update(
        short_text_fields(
            _answer_list(element), case_sensitive=_flag(_text(element, "usecase"), False)
        )
    )


def _essay(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    item.update(
        essay_fields(
            points=item.get("points", 1),
            graderinfo=_rich(element.find("graderinfo")),
            template=_rich(element.find("responsetemplate")),
            notes=notes,
        )
    )
    if _text(element, "attachmentsrequired").strip() not in ("", "0"):
        notes.append("required attachments are not supported: students answer in text only")


def _multianswer(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    question = element.find("questiontext")
    item.update(
        cloze_fields(_text(question), question.get("format", "html") if question is not None
                     else "html", notes)
    )  # fmt: skip


def _matching(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    pairs, distractors = [], []
    for sub in element.findall("subquestion"):
        prompt, answer = _text(sub), _text(sub, "answer/text")
        if plain_text(prompt):
            pairs.append((prompt, answer))
        else:
            distractors.append(answer)
    item.update(
        matching_fields(pairs, distractors, shuffle=_flag(_text(element, "shuffleanswers"), True))
    )


#: Moodle formula syntax the grader's parser reads differently: ``pi()`` is the constant.
_FORMULA_FIXES = ((re.compile(r"\bpi\(\s*\)"), "pi"),)
_TOLERANCE_TYPES = {"1": "relative", "2": "absolute"}


def _formula(text: str) -> str:
    for pattern, replacement in _FORMULA_FIXES:
        text = pattern.sub(replacement, text)
    return text.strip()


def _calculated(element: ET.Element, item: dict[str, Any], notes: list[str]) -> None:
    """``calculated`` / ``calculatedsimple``: a numeric item with params. Each wildcard takes
    the values Moodle generated for it (its dataset items) when the file has them, else its
    range and decimals; the formula is the key, other answers declared mistakes."""
    from graders import validate_spec

    params: dict[str, Any] = {}
    for definition in element.findall("dataset_definitions/dataset_definition"):
        name = _text(definition, "name/text").strip()
        values = [
            number(_text(v, "value"), f"a value of {{{name}}}")
            for v in definition.findall("dataset_items/dataset_item")
        ]
        if values:
            params[name] = {"choices": [plain_number(v) for v in values]}
            continue
        low = number(_text(definition, "minimum/text") or "0", f"the minimum of {{{name}}}")
        high = number(_text(definition, "maximum/text") or "0", f"the maximum of {{{name}}}")
        decimals = int(number(_text(definition, "decimals/text") or "0", "the decimals"))
        params[name] = {"range": [plain_number(low), plain_number(high)],
                        "step": plain_number(10.0 ** -decimals)}  # fmt: skip
    if not params:
        raise Unmappable("a calculated question with no dataset definitions (wildcards)")
    key, mistakes = None, []
    for fraction, answer in (
        (number(a.get("fraction", "0") or "0", "the answer fraction") / 100, a)
        for a in element.findall("answer")
    ):
        if fraction >= 1 and key is None:
            key = answer
        elif _feedback(answer):
            mistake = {"answer": _formula(_text(answer)), "feedback": _feedback(answer)}
            if fraction > 0:
                mistake["credit"] = round(fraction, 7)
            mistakes.append(mistake)
    if key is None:
        raise Unmappable("no answer has full credit (100%), so there is no key")
    item.update({"type": "numeric", "answer": _formula(_text(key)), "params": params})
    tolerance = number(_text(key, "tolerance") or "0", "the tolerance")
    kind = _TOLERANCE_TYPES.get(_text(key, "tolerancetype").strip() or "1")
    if kind is None:
        notes.append("the geometric tolerance is kept as a relative one")
        kind = "relative"
    if tolerance > 0 and not (kind == "relative" and tolerance >= 1):
        item["tolerance"] = {kind: plain_number(tolerance)}
    if mistakes:
        item["mistakes"] = mistakes
    _units(element, item, notes)
    problems = validate_spec(item)
    if problems:
        raise Unmappable(f"the formula cannot be read by the grader: {problems[0]}")


_CONVERTERS: dict[str, Callable[[ET.Element, dict[str, Any], list[str]], None]] = {
    "calculated": _calculated,
    "calculatedsimple": _calculated,
    "matching": _matching,
    "multianswer": _multianswer,
    "cloze": _multianswer,  # what Moodle's XML export calls it
    "numerical": _numerical,
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "essay": _essay,
}
