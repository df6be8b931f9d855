"""What the Moodle XML and GIFT readers share: building a bank document from foreign questions.

Both readers turn a file into the project's own bank structure (``docs/bank-format.md``) and
hand it to the same validation, planning and transaction as a YAML bank, so every promise of
the import (all problems first, one transaction, re-import in place, retire never delete)
holds for them unchanged. What a reader cannot map is reported per question on
``Document.notes`` (a warning with file, line and question name) and the question is left out
whole: never half-imported, never dropped silently.

Stable ids: a question's ``idnumber`` when it has one, otherwise its category path and name,
made into a slug (``diffusion-noise-how-many-steps``). Re-importing the same file therefore
finds the same items; renaming a question without an idnumber makes it a new item (the old one
is retired, its answers kept), which the dry-run plan shows.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import nh3

from gradebook.courses.bank.errors import BankError, BankInvalid, Path
from gradebook.courses.bank.loading import Document

MAX_ID = 100
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
#: Moodle's category prefixes, which say where the category lives, not what it is called.
_CONTEXT_PREFIXES = ("$course$", "$system$", "$module$", "$coursecategory$", "$cat1$")


def slugify(text: str, *, fallback: str = "item") -> str:
    """Lowercase ASCII letters, digits and hyphens; non-Latin names keep a short hash so that
    two Korean question names do not both become ``item``.

    >>> slugify("Café au lait"), slugify("토큰")
    ('cafe-au-lait', 'item-eb540501')
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_STRIP.sub("-", folded.lower()).strip("-")
    # A letter with no ASCII form (Hangul, Kana...) vanished: keep a hash of the name so
    # that two such names cannot both become the same slug.
    lost = any(
        ch.isalnum() and not unicodedata.normalize("NFKD", ch).encode("ascii", "ignore")
        for ch in text
    )
    if not slug or lost:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else f"{fallback}-{digest}"
    return clip_id(slug)


def clip_id(slug: str) -> str:
    """Ids are at most 100 characters: a longer one keeps its start and a hash of the rest."""
    if len(slug) <= MAX_ID:
        return slug
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:8]
    return f"{slug[: MAX_ID - 9].rstrip('-')}-{digest}"


def category_parts(path: str) -> list[str]:
    """``$course$/top/Diffusion/Noise`` -> ``["Diffusion", "Noise"]`` (``//`` is a literal /)."""
    parts = [p.replace("\0", "/").strip() for p in path.replace("//", "\0").split("/")]
    parts = [p for p in parts if p]
    if parts and parts[0].lower() in _CONTEXT_PREFIXES:
        parts = parts[1:]
    if parts and parts[0].lower() in ("top", "default"):
        parts = parts[1:]
    return parts


# --- Text --------------------------------------------------------------------------------------


def _allow_lists() -> tuple[set[str], dict[str, set[str]]]:
    from gradebook.courses.rendering import _HTML_ATTRIBUTES, _HTML_TAGS

    return set(_HTML_TAGS), {k: set(v) for k, v in _HTML_ATTRIBUTES.items()}


_DISPLAY_DOLLARS = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_TEX_INLINE = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
#: ``\\(x\\)``: inline math as the exporter writes it in Markdown (where ``\\(`` renders
#: as ``\(``, which Moodle's TeX filter reads).
_MARKDOWN_TEX_INLINE = re.compile(r"\\\\\((.+?)\\\\\)", re.DOTALL)
_TEX_DISPLAY = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)
_HOLD = "\ue000{}\ue001"


def tex_to_project(text: str) -> str:
    """Moodle's TeX delimiters as the project's: ``\\(x\\)`` -> ``$x$``, ``\\[x\\]`` and
    ``$$x$$`` -> ``$$x$$``; any other ``$`` is a literal dollar (``\\$``), since Moodle
    does not read a single ``$`` as math."""
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return _HOLD.format(len(held) - 1)

    text = _MARKDOWN_TEX_INLINE.sub(lambda m: hold(f"${m[1].strip()}$"), text)
    text = _DISPLAY_DOLLARS.sub(lambda m: hold(f"$${m[1].strip()}$$"), text)
    text = _TEX_DISPLAY.sub(lambda m: hold(f"$${m[1].strip()}$$"), text)
    text = _TEX_INLINE.sub(lambda m: hold(f"${m[1].strip()}$"), text)
    text = re.sub(r"(?<!\\)\$", r"\\$", text)
    return re.sub("\ue000(\\d+)\ue001", lambda m: held[int(m[1])], text)


def html_to_markdown(text: str, text_format: str = "html") -> str:
    """Question text as stored in a bank: HTML sanitised to the project's allow-list (the same
    ``nh3`` lists the renderer uses), TeX in the project's delimiters. Markdown passes HTML
    blocks through, so the sanitised HTML renders as written."""
    if text_format == "markdown":
        body = text
    elif text_format == "plain_text":
        body = html.escape(text, quote=False)
    else:
        tags, attributes = _allow_lists()
        body = nh3.clean(text, tags=tags, attributes=attributes)
    return tex_to_project(body).strip()


def feedback_text(text: str, text_format: str = "html") -> str:
    """An answer's feedback: the page shows it as text, so tags are removed (math stays in
    the project's delimiters)."""
    return plain_text(html_to_markdown(text, text_format))


def plain_text(text: str) -> str:
    """Text for places shown escaped (choice labels, titles): tags removed, entities decoded,
    whitespace collapsed."""
    stripped = nh3.clean(text, tags=set(), attributes={})
    return re.sub(r"\s+", " ", html.unescape(stripped)).strip()


# --- Building a document ----------------------------------------------------------------------


@dataclass
class _Lesson:
    data: dict[str, Any]
    line: int | None
    bodies: list[str] = field(default_factory=list)


@dataclass
class BankBuilder:
    """Collects lessons and items as a reader meets them, with the line of each."""

    filename: str
    course: str
    title: str
    language: str | None = None
    notes: list[BankError] = field(default_factory=list)
    media: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    _lessons: dict[tuple[str, ...], _Lesson] = field(default_factory=dict)
    _slugs: set[str] = field(default_factory=set)
    _item_lines: dict[str, int | None] = field(default_factory=dict)
    _items: list[tuple[tuple[str, ...], dict[str, Any], int | None]] = field(default_factory=list)

    def lesson(
        self, category: tuple[str, ...], line: int | None, summary: str = "", idnumber: str = ""
    ) -> None:
        """Open (or reopen) the lesson for a category path; a category's idnumber (Moodle 3.5+,
        and what the export writes) is the lesson's slug."""
        if category in self._lessons:
            if summary and not self._lessons[category].data.get("summary"):
                self._lessons[category].data["summary"] = summary
            return
        if idnumber.strip():
            base = slugify(idnumber.strip())
        elif category:
            base = clip_id(slugify("-".join(category), fallback="lesson"))
        else:
            base = "questions"
        slug, n = base, 2
        while slug in self._slugs:
            slug, n = clip_id(f"{base}-{n}"), n + 1
        self._slugs.add(slug)
        title = (
            category[-1]
            if idnumber.strip() and category
            else (" / ".join(category) if category else self.title)
        )
        data: dict[str, Any] = {"slug": slug, "title": title[:200] or slug}
        if summary:
            data["summary"] = summary
        self._lessons[category] = _Lesson(data, line)

    def item_id(self, *, idnumber: str, category: tuple[str, ...], name: str) -> str:
        if idnumber.strip():
            return slugify(idnumber.strip())
        return slugify("-".join((*category, name or "question")))

    def add_item(
        self, category: tuple[str, ...], item: dict[str, Any], line: int | None, name: str
    ) -> None:
        self.lesson(category, line)
        key, n = item["id"], 2
        while key in self._item_lines:
            key, n = clip_id(f"{item['id']}-{n}"), n + 1
        if key != item["id"]:
            first = self._item_lines[item["id"]]
            self.warn(
                line,
                name,
                f"another question in this category has the same name (line {first}); this one "
                f"is imported as {key!r}. Give each an idnumber so re-imports match them.",
            )
            item["id"] = key
        self._item_lines[key] = line
        self._items.append((category, item, line))

    def add_body(self, category: tuple[str, ...], text: str, line: int | None) -> None:
        """A description question: lesson text, not an item."""
        self.lesson(category, line)
        if text.strip():
            self._lessons[category].bodies.append(text.strip())

    def warn(self, line: int | None, name: str, message: str) -> None:
        where = f"question {name!r}: " if name else ""
        self.notes.append(BankError(self.filename, line, "", where + message))

    def refuse(self, line: int | None, name: str, reason: str) -> None:
        self.warn(line, name, f"not imported: {reason}")

    def document(self) -> Document:
        data: dict[str, Any] = {"course": self.course, "title": self.title[:200] or self.course}
        if self.language:
            data["language"] = self.language
        positions: dict[Path, tuple[int, int]] = {(): (1, 1)}
        lessons: list[dict[str, Any]] = []
        index: dict[tuple[str, ...], int] = {}
        used = {category for category, _, _ in self._items}
        for category, lesson in self._lessons.items():
            if category not in used and not lesson.bodies:
                continue  # a category that only holds subcategories is not a lesson
            if lesson.bodies:
                lesson.data["body"] = "\n\n".join(lesson.bodies)
            lesson.data["items"] = []
            index[category] = len(lessons)
            if lesson.line:
                positions[("lessons", len(lessons))] = (lesson.line, 1)
            lessons.append(lesson.data)
        for category, item, line in self._items:
            li = index[category]
            items = lessons[li]["items"]
            if line:
                positions[("lessons", li, "items", len(items))] = (line, 1)
            items.append(item)
        data["lessons"] = lessons
        if not self._items:
            # Importing nothing would retire every item of an existing course: refuse, and
            # say why each question was left out.
            raise BankInvalid(
                [
                    BankError(
                        self.filename,
                        None,
                        "",
                        "the file holds no question that can be imported"
                        + (" (see below)" if self.notes else ""),
                    ),
                    *self.notes,
                ]
            )
        return Document(
            self.filename,
            data,
            positions,
            notes=self.notes,
            media=self.media,
            names_questions=True,
        )

    def embed_files(
        self, value: Any, files: list[tuple[str, str]], line: int | None, name: str
    ) -> Any:
        """``value`` with its embedded images stored as the course's media (bank/media.py)."""
        from gradebook.courses.bank.media import PLUGINFILE, embed

        if not files and PLUGINFILE not in str(value):
            return value
        return embed(
            value,
            files,
            course=self.course,
            media=self.media,
            warn=lambda message: self.warn(line, name, message),
        )


# --- Question types, format-neutral -------------------------------------------------------------
#
# Both readers parse their syntax into these small records and call the functions below, so a
# Moodle XML numerical question and a GIFT {#...} question become the same item by the same rules.


class Unmappable(Exception):
    """A question the project cannot represent: the message says why (shown to the admin)."""


_CHOICE_IDS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Answer:
    """One answer as Moodle stores it: a fraction (0..1, negative for wrong multi-choice
    picks), its text, its tolerance (numerical only) and its feedback (bank Markdown)."""

    fraction: float
    text: str
    feedback: str = ""
    tolerance: float = 0.0


def plain_number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def number(text: str, what: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise Unmappable(f"{what} {text.strip()!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Unmappable(f"{what} {text.strip()!r} is not a finite number")
    return value


def numeric_fields(answers: list[Answer], notes: list[str]) -> dict[str, Any]:
    """``numerical``: the first full-credit answer is the key (its tolerance absolute), the
    others declared mistakes with their feedback and, when partial, their credit."""
    fields: dict[str, Any] = {"type": "numeric"}
    key: Answer | None = None
    mistakes: list[dict[str, Any]] = []
    own_tolerances: list[tuple[str, float]] = []
    for answer in answers:
        if answer.text.strip() in ("*", ""):
            if answer.fraction > 0:
                raise Unmappable("an answer '*' (any answer) with credit would accept every number")
            if answer.feedback:
                notes.append(
                    "the feedback for any other answer ('*') is not kept: other wrong answers "
                    "get the grader's own feedback"
                )
            continue
        value = number(answer.text, "the answer")
        if answer.fraction >= 1 and key is None:
            key = answer
            continue
        if answer.fraction <= 0 and not answer.feedback:
            continue  # a wrong answer with nothing to say is graded wrong anyway
        if answer.tolerance:
            own_tolerances.append((answer.text.strip(), answer.tolerance))
        mistake: dict[str, Any] = {
            "answer": plain_number(value),
            "feedback": answer.feedback or ("Partly right." if answer.fraction < 1 else "Correct."),
        }
        if answer.fraction > 0:
            mistake["credit"] = round(min(answer.fraction, 1.0), 7)
        mistakes.append(mistake)
    if key is None:
        raise Unmappable("no answer has full credit (100%), so there is no key")
    for text, tolerance in own_tolerances:
        if abs(tolerance) != abs(key.tolerance):
            notes.append(
                f"the answer {text} keeps its feedback and credit, but is matched with the "
                f"key's tolerance ({abs(key.tolerance):g}), not its own ({abs(tolerance):g})"
            )
    fields["answer"] = plain_number(number(key.text, "the answer"))
    if abs(key.tolerance) > 0:
        fields["tolerance"] = {"absolute": plain_number(abs(key.tolerance))}
    if key.feedback:
        notes.append(
            "the feedback of the right answer is not kept as such (the grader says "
            "'Correct.'): it becomes the explanation when there is none"
        )
        fields["x-right-feedback"] = key.feedback
    if mistakes:
        fields["mistakes"] = mistakes
    return fields


def choice_fields(
    answers: list[Answer], *, single: bool, shuffle: bool, notes: list[str]
) -> dict[str, Any]:
    """``multichoice``: ids a, b, c...; single: the 100% choice is right; multiple: every
    choice with positive credit is right."""
    if len(answers) < 2:
        raise Unmappable("a multiple-choice question needs at least two choices")
    if len(answers) > len(_CHOICE_IDS):
        raise Unmappable(f"more than {len(_CHOICE_IDS)} choices")
    choices = []
    for index, answer in enumerate(answers):
        text = plain_text(answer.text) or answer.text.strip()
        correct = answer.fraction >= 1 if single else answer.fraction > 0
        if single and 0 < answer.fraction < 1:
            notes.append(
                f"the choice {text!r} gives {answer.fraction:.0%} in Moodle; here it is graded "
                "wrong (single-answer items have no partial credit)"
            )
        choice: dict[str, Any] = {"id": _CHOICE_IDS[index], "text": text, "correct": correct}
        if answer.feedback:
            choice["feedback"] = answer.feedback
        choices.append(choice)
    right = sum(c["correct"] for c in choices)
    if not right:
        raise Unmappable("no choice has credit")
    if single and right > 1:
        raise Unmappable(
            "several choices have full credit in a single-answer question (the project "
            "allows one right choice unless several may be picked)"
        )
    fields: dict[str, Any] = {"type": "multiple_choice", "choices": choices}
    if not single:
        fields["multiple"] = True
    fields["shuffle"] = shuffle
    return fields


def truefalse_fields(
    *, answer: bool, feedback_true: str = "", feedback_false: str = ""
) -> dict[str, Any]:
    choices = []
    for value, label, feedback in (
        (True, "True", feedback_true),
        (False, "False", feedback_false),
    ):
        choice: dict[str, Any] = {"id": label.lower(), "text": label, "correct": value is answer}
        if feedback:
            choice["feedback"] = feedback
        choices.append(choice)
    return {"type": "multiple_choice", "choices": choices, "shuffle": False}


def short_text_fields(answers: list[Answer], *, case_sensitive: bool) -> dict[str, Any]:
    accepted = []
    for answer in answers:
        text = plain_text(answer.text)
        if not text:
            continue
        entry: dict[str, Any] = {"text": text}
        if answer.fraction != 1:
            entry["credit"] = round(max(0.0, min(answer.fraction, 1.0)), 7)
        if answer.feedback:
            entry["feedback"] = answer.feedback
        accepted.append(entry)
    if not any(a.get("credit", 1) == 1 for a in accepted):
        raise Unmappable("no answer has full credit (100%)")
    fields: dict[str, Any] = {"type": "short_text", "answers": accepted}
    if case_sensitive:
        fields["case_sensitive"] = True
    return fields


def essay_fields(
    *, points: float, graderinfo: str = "", template: str = "", notes: list[str]
) -> dict[str, Any]:
    """``essay``: a teacher-reviewed item; the grader information is the rubric's guidance."""
    criterion: dict[str, Any] = {
        "id": "graderinfo",
        "criterion": "Information for graders" if graderinfo else "Overall",
        "points": points,
    }
    if graderinfo:
        criterion["description"] = graderinfo
    fields: dict[str, Any] = {"type": "free_text", "rubric": [criterion]}
    if template:
        fields["model_answer"] = template
        notes.append("the response template is kept as the model answer (teachers only)")
    return fields


def finish_item(item: dict[str, Any]) -> dict[str, Any]:
    """Last touches shared by both readers: the right answer's feedback becomes the
    explanation when there is none."""
    right = item.pop("x-right-feedback", "")
    if right and not item.get("explanation"):
        item["explanation"] = right
    return item


# --- Cloze (embedded answers) -------------------------------------------------------------------

#: ``{weight:TYPE:answers}`` embedded in a Cloze question's text.
_CLOZE = re.compile(r"\{(?P<weight>\d*):(?P<kind>[A-Z_]+):(?P<body>(?:\\.|[^}\\])*)\}")
_CLOZE_KINDS = {
    **dict.fromkeys(("SHORTANSWER", "SA", "MW"), ("short_text", False)),
    **dict.fromkeys(("SHORTANSWER_C", "SAC", "MWC"), ("short_text", True)),
    **dict.fromkeys(("NUMERICAL", "NM"), ("numeric", False)),
    **dict.fromkeys(
        ("MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H", "MCH", "MULTICHOICE_S",
         "MCS", "MULTICHOICE_VS", "MCVS", "MULTICHOICE_HS", "MCHS"),
        ("multiple_choice", False),
    ),
    **dict.fromkeys(
        ("MULTIRESPONSE", "MR", "MULTIRESPONSE_H", "MRH", "MULTIRESPONSE_S", "MRS",
         "MULTIRESPONSE_HS", "MRHS"),
        ("multiple_choice", True),
    ),
}  # fmt: skip
_CLOZE_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")


def _cloze_answers(body: str) -> list[Answer]:
    """``=right#fb~%50%half#fb~wrong`` -> answers; ``\\~ \\# \\} \\/`` are literal."""
    pieces, current, i = [], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            current.append("\\" + body[i + 1])
            i += 2
            continue
        if ch == "~":
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    pieces.append("".join(current))
    answers = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if piece.startswith("="):
            fraction, piece = 1.0, piece[1:]
        else:
            match = _CLOZE_WEIGHT.match(piece)
            fraction = float(match.group(1)) / 100 if match else 0.0
            piece = piece[match.end() :] if match else piece
        text, _, feedback = _split_feedback(piece)
        unescape = re.compile(r"\\(.)")
        answers.append(
            Answer(
                fraction,
                unescape.sub(r"\1", text).strip(),
                feedback_text(unescape.sub(r"\1", feedback)) if feedback else "",
            )
        )
    return answers


def _split_feedback(piece: str) -> tuple[str, str, str]:
    match = re.search(r"(?<!\\)#", piece)
    if match is None:
        return piece, "", ""
    return piece[: match.start()], "#", piece[match.end() :]


def cloze_fields(text: str, text_format: str, notes: list[str]) -> dict[str, Any]:
    """A Cloze question as a ``multipart`` item: each embedded answer is a part (``p1``...),
    marked in the text as a numbered blank; the parts are answered below the text."""
    parts: list[dict[str, Any]] = []

    def part(match: re.Match[str]) -> str:
        kind = match["kind"]
        if kind not in _CLOZE_KINDS:
            raise Unmappable(f"the embedded answer type {kind!r} is not one the project maps")
        item_type, flag = _CLOZE_KINDS[kind]
        number_ = len(parts) + 1
        answers = _cloze_answers(match["body"])
        if item_type == "short_text":
            fields = short_text_fields(answers, case_sensitive=flag)
        elif item_type == "numeric":
            fields = numeric_fields(answers_with_tolerance(answers), notes)
        else:
            shuffled = kind.endswith("S") and kind not in ("MULTIRESPONSE", "MULTICHOICE")
            fields = choice_fields(answers, single=not flag, shuffle=shuffled, notes=notes)
        entry: dict[str, Any] = {"id": f"p{number_}", "label": f"({number_})", **fields}
        entry.pop("x-right-feedback", None)
        if match["weight"] and int(match["weight"]) > 0:
            entry["weight"] = int(match["weight"])
        parts.append(entry)
        return f"({number_}) _____"

    body = _CLOZE.sub(part, text)
    if not parts:
        raise Unmappable("a Cloze question with no embedded answers")
    # ``x-cloze``: the lesson page moves each part's box into its "(n) _____" blank.
    return {
        "type": "multipart",
        "text": html_to_markdown(body, text_format),
        "parts": parts,
        "x-cloze": True,
    }


def answers_with_tolerance(answers: list[Answer]) -> list[Answer]:
    """Cloze NUMERICAL answers write ``value:tolerance`` in the answer text."""
    out = []
    for answer in answers:
        value, _, tolerance = answer.text.partition(":")
        out.append(
            Answer(
                answer.fraction,
                value.strip(),
                answer.feedback,
                number(tolerance, "the tolerance") if tolerance.strip() else 0.0,
            )
        )
    return out


def matching_fields(
    pairs: list[tuple[str, str]], distractors: list[str], *, shuffle: bool
) -> dict[str, Any]:
    """``matching``: (prompt, answer) pairs and answers that match nothing; credit per pair."""
    kept = [(plain_text(p), plain_text(a)) for p, a in pairs if plain_text(p) and plain_text(a)]
    if len(kept) < 2:
        raise Unmappable("a matching question needs at least two pairs")
    fields: dict[str, Any] = {
        "type": "matching",
        "pairs": [
            {"id": f"p{i}", "prompt": prompt, "answer": answer}
            for i, (prompt, answer) in enumerate(kept, start=1)
        ],
        "shuffle": shuffle,
    }
    extra = [plain_text(d) for d in distractors if plain_text(d)]
    if extra:
        fields["distractors"] = extra
    return fields
