"""Reading GIFT question files (``*.gift``, ``*.txt``; ``docs/bank-format.md``).

GIFT is Moodle's plain-text format: questions separated by blank lines, ``//`` comment lines,
``::title::``, ``[html]``/``[markdown]``/``[plain]``/``[moodle]`` text formats, an answer block
in braces, ``$CATEGORY:`` lines, and ``\\: \\= \\~ \\# \\{ \\} \\\\ \\n`` escapes. The type is
decided by the answer block as Moodle decides it: ``{}`` essay, ``{#...}`` numerical, a ``~``
multiple choice, ``=`` with ``->`` matching, ``T``/``TRUE``/``F``/``FALSE`` true/false,
otherwise short answer; no block at all is a description. Text after the block makes a
"missing word" question (the block becomes ``_____`` in the text).

A question whose syntax is broken (an unclosed brace) is an error that stops the import, with
its line; a question that is well written but has no equivalent is left out with a warning,
exactly as for Moodle XML (the mapping rules are shared, ``foreign.py``).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from gradebook.courses.bank.errors import BankError, BankInvalid
from gradebook.courses.bank.foreign import (
    Answer,
    BankBuilder,
    Unmappable,
    category_parts,
    choice_fields,
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

# Escaped characters are swapped for private-use placeholders before the structure is read,
# and back afterwards, so ``\{`` can never open an answer block.
_ESCAPES = {":": "\ue020", "#": "\ue021", "=": "\ue022", "{": "\ue023", "}": "\ue024",
            "~": "\ue025", "n": "\ue026"}  # fmt: skip
_BACKSLASH = "\ue027"
_RESTORE = {v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()} | {_BACKSLASH: "\\"}
_WEIGHT = re.compile(r"^%(-?\d{1,3}(?:\.\d*)?)%")
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_FORMATS = {"html": "html", "moodle": "html", "plain": "plain_text", "markdown": "markdown"}
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _protect(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text


def _restore(text: str) -> str:
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


def _split(text: str) -> list[tuple[int, list[str]]]:
    """Blocks of lines separated by blank lines, each with the line number of its first line;
    comment lines count as blank only for where a block starts, as in Moodle."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number_, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if current:
                blocks.append((start, current))
                current = []
            continue
        if line.strip().startswith("//"):
            if current:
                current.append(" ")
            continue
        if not current:
            start = number_
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


def read_gift(text: str, *, filename: str, course: str | None = None) -> Document:
    """A bank document from GIFT text; broken syntax raises ``BankInvalid`` with the line."""
    stem = PurePath(filename).stem
    builder = BankBuilder(filename=filename, course=course or slugify(stem), title=stem)
    reader = _GiftReader(builder)
    errors: list[BankError] = []
    for line, lines in _split(text.lstrip("\ufeff")):
        try:
            reader.question(line, "\n".join(lines).strip())
        except _SyntaxProblem as exc:
            errors.append(BankError(filename, line, "", str(exc)))
    if errors:
        raise BankInvalid(errors)
    return builder.document()


class _SyntaxProblem(Exception):
    pass


def _with_format(text: str, default: str) -> tuple[str, str]:
    """(text without its ``[format]`` prefix, the format name)."""
    match = _FORMAT.match(text)
    if match:
        return text[match.end() :], _FORMATS[match.group(1).lower()]
    return text, default


def _rich(text: str, text_format: str) -> str:
    return html_to_markdown(_restore(text).strip(), text_format)


def _answer_and_feedback(text: str, text_format: str) -> tuple[str, str]:
    """An answer and its ``#feedback``, each with its own optional ``[format]`` prefix."""
    answer, _, feedback = text.partition("#")
    answer, _ = _with_format(answer.strip(), text_format)
    feedback, feedback_format = _with_format(feedback.strip(), text_format)
    if not feedback:
        return _restore(answer).strip(), ""
    return _restore(answer).strip(), feedback_text(_restore(feedback), feedback_format)


def _weighted(text: str, default: float) -> tuple[float, str]:
    match = _WEIGHT.match(text)
    if match:
        return float(match.group(1)) / 100.0, text[match.end() :]
    return default, text


def _default_name(text: str) -> str:
    """Moodle names an untitled question by the start of its text."""
    words = plain_text(text)
    return words if len(words) <= 60 else words[:60].rsplit(" ", 1)[0] + "…"


class _GiftReader:
    def __init__(self, builder: BankBuilder) -> None:
        self.builder = builder
        self.category: tuple[str, ...] = ()

    def question(self, line: int, raw: str) -> None:
        text = _protect(raw)
        if text.startswith("$CATEGORY:"):
            self.category = tuple(category_parts(_restore(text[len("$CATEGORY:") :]).strip()))
            self.builder.lesson(self.category, line)
            return
        name = ""
        if text.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                raise _SyntaxProblem("a title starts with '::' but never ends with '::'")
            name = plain_text(_restore(text[2:end]))
            text = text[end + 2 :].strip()
        start, finish = text.find("{"), text.find("}")
        if start < 0 and finish < 0:
            body, text_format = _with_format(text, "html")
            self.builder.add_body(self.category, _rich(body, text_format), line)
            return
        if start < 0 or finish < start:
            raise _SyntaxProblem(
                "unbalanced braces: an answer block is '{...}'; write a literal brace as \\{ or \\}"
            )
        if "{" in text[start + 1 : finish]:
            raise _SyntaxProblem(
                "a '{' inside an answer block: one block per question (escape braces as \\{)"
            )
        block = text[start + 1 : finish].strip()
        rest = text[finish + 1 :].strip()
        if "{" in rest or "}" in rest:
            raise _SyntaxProblem("more than one answer block in one question")
        question_text = text[:start] + ("" if not rest else "_____" + text[finish + 1 :])
        question_text, text_format = _with_format(question_text.strip(), "html")
        general = ""
        if "####" in block:
            block, general = block[: block.rfind("####")].strip(), block[block.rfind("####") + 4 :]
        item_text = _rich(question_text, text_format)
        name = name or _default_name(item_text) or "question"
        notes: list[str] = []
        try:
            item: dict[str, Any] = {
                "id": self.builder.item_id(idnumber="", category=self.category, name=name),
                "type": "",
                "text": item_text or name,
                "title": name[:200],
            }
            if general.strip():
                item["explanation"] = _rich(general, text_format)
            item.update(self.answers(block, text_format, notes))
        except Unmappable as exc:
            self.builder.refuse(line, name, str(exc))
            return
        for note in notes:
            self.builder.warn(line, name, note)
        self.builder.add_item(self.category, finish_item(item), line, name)

    def answers(self, block: str, text_format: str, notes: list[str]) -> dict[str, Any]:
        if not block:
            return essay_fields(points=1, notes=notes)
        if block.startswith("#"):
            return self.numerical(block[1:], text_format, notes)
        if "~" in block:
            return self.multichoice(block, text_format, notes)
        if "=" in block and "->" in block:
            return self.matching(block, text_format)
        head = block.split("#", 1)[0].strip()
        if head in _TRUE_FALSE:
            parts = block.split("#", 2)
            wrong = feedback_text(_restore(parts[1]), text_format) if len(parts) > 1 else ""
            right = feedback_text(_restore(parts[2]), text_format) if len(parts) > 2 else ""
            truth = _TRUE_FALSE[head]
            return truefalse_fields(
                answer=truth,
                feedback_true=right if truth else wrong,
                feedback_false=wrong if truth else right,
            )
        return self.shortanswer(block, text_format)

    def _pieces(self, block: str, marker: str) -> list[str]:
        return [p.strip() for p in block.split(marker) if p.strip()]

    def multichoice(self, block: str, text_format: str, notes: list[str]) -> dict[str, Any]:
        single = "=" in block
        answers = []
        for piece in self._pieces(block.replace("=", "~="), "~"):
            if piece.startswith("="):
                fraction, piece = 1.0, piece[1:]
            else:
                fraction, piece = _weighted(piece, 0.0)
            text, feedback = _answer_and_feedback(piece, text_format)
            answers.append(Answer(fraction, html_to_markdown(text, text_format), feedback))
        return choice_fields(answers, single=single, shuffle=True, notes=notes)

    def matching(self, block: str, text_format: str) -> dict[str, Any]:
        pairs, distractors = [], []
        for piece in self._pieces(block, "="):
            if "->" not in piece:
                raise Unmappable("a matching answer without '->'")
            prompt, answer = piece.split("->", 1)
            prompt, prompt_format = _with_format(prompt.strip(), text_format)
            prompt_text = html_to_markdown(_restore(prompt), prompt_format)
            if prompt_text.strip():
                pairs.append((prompt_text, _restore(answer).strip()))
            else:
                distractors.append(_restore(answer).strip())
        return matching_fields(pairs, distractors, shuffle=True)

    def shortanswer(self, block: str, text_format: str) -> dict[str, Any]:
        answers = []
        for piece in self._pieces(block, "="):
            fraction, piece = _weighted(piece, 1.0)
            text, feedback = _answer_and_feedback(piece, text_format)
            answers.append(Answer(fraction, text, feedback))
        if not answers:
            raise Unmappable("a short-answer question with no answer")
        return short_text_fields(answers, case_sensitive=False)

    def numerical(self, block: str, text_format: str, notes: list[str]) -> dict[str, Any]:
        other = ""
        if "~" in block:
            block, other = block[: block.find("~")], block[block.find("~") :]
        answers = []
        for piece in self._pieces(block, "="):
            fraction, piece = _weighted(piece, 1.0)
            text, feedback = _answer_and_feedback(piece, text_format)
            if ".." in text:
                low, high = (number(x, "the range end") for x in text.split("..", 1))
                # Rounded: 0.8..1 is 0.9 ± 0.1, not ± 0.09999999999999998.
                value, tolerance = round((low + high) / 2, 12), round((high - low) / 2, 12)
            elif ":" in text:
                value_text, tolerance_text = text.split(":", 1)
                value = number(value_text, "the answer")
                tolerance = number(tolerance_text, "the tolerance")
            else:
                value, tolerance = number(text, "the answer"), 0.0
            answers.append(Answer(fraction, str(plain_number(value)), feedback, tolerance))
        if not answers:
            raise Unmappable("a numerical question with no answer")
        if other:
            _, feedback = _answer_and_feedback(other.lstrip("~"), text_format)
            answers.append(Answer(0.0, "*", feedback))
        return numeric_fields(answers, notes)
