"""Export: a course as Moodle XML or GIFT, files Moodle imports (``docs/bank-format.md``).

Both writers start from the bank data of ``course_to_bank`` (what the YAML export writes), so
the three exports always agree. Each item is written as the closest Moodle type; what Moodle
has no type for is written as an essay whose text says so, and every such approximation is
returned as a note (``export_bank`` prints them), never silently:

- ``numeric`` -> ``numerical`` (key at 100%, mistakes with their credit and feedback, the
  tolerance as Moodle's absolute one, units with the grader's multipliers);
- ``symbolic`` without variables and in any form -> ``numerical`` (its value); otherwise an
  essay with a note;
- ``multiple_choice`` -> ``multichoice`` (or ``truefalse`` for true/false choices); several
  right answers get equal shares and wrong picks the same share negative, which is the
  project's own "right picks - wrong picks" scoring;
- ``short_text`` -> ``shortanswer``; ``matching`` -> ``matching`` (GIFT ``{=a -> b}``);
  ``free_text`` -> ``essay`` with the rubric as grader
  information; ``exercise`` -> ``essay`` with a note; ``multipart`` -> Cloze when every part
  can be an embedded answer, else an essay with a note.

Ids survive a round trip through Moodle XML: an item's id is its ``idnumber`` and a lesson's
slug its category's ``idnumber``; the course's stored images go back as ``<file>`` elements.
Math is written in Moodle's delimiters (``\\(x\\)``) inside Markdown text, and read back by
the importers as the project's ``$x$``.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from gradebook.courses.bank.exporting import course_to_bank
from gradebook.courses.models import Course

EXPORT_FORMATS = ("yaml", "json", "moodle-xml", "gift")
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])(?P<tex>[^$\n]+?)(?<![\s\\])\$(?!\d)")


@dataclass
class Exported:
    text: str
    notes: list[str] = field(default_factory=list)


def tex_to_moodle(text: str) -> str:
    """``$x$`` -> ``\\\\(x\\\\)`` (Markdown turns ``\\\\(`` into ``\\(``, which Moodle's TeX
    filter reads); ``$$x$$`` is Moodle's own display math and stays."""
    return _INLINE_MATH.sub(lambda m: "\\\\(" + m["tex"] + "\\\\)", text)


def _number_text(value: float) -> str:
    """Shortest text for a number, float noise rounded off (0.8200000000000001 -> 0.82)."""
    value = float(f"{value:.15g}")
    return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- What each item becomes, format-neutral ----------------------------------------------------


@dataclass
class Question:
    """One Moodle question as both writers need it."""

    kind: str  # numerical, multichoice, truefalse, shortanswer, essay
    item: dict[str, Any]
    text: str
    answers: list[dict[str, Any]] = field(default_factory=list)  # fraction, text, feedback, tol
    single: bool = True
    units: list[tuple[str, float]] = field(default_factory=list)
    unit_required: bool = False
    graderinfo: str = ""
    truth: bool | None = None


def _numeric_value(spec: dict[str, Any]) -> tuple[float, float] | None:
    """(key value, absolute tolerance) of a numeric or symbolic item with a constant key."""
    from graders.spec import InvalidSpec, compile_item

    try:
        part = compile_item(spec).parts[0]
    except (InvalidSpec, ValueError):
        return None
    if part.key_value is None or not math.isfinite(part.key_value):
        return None
    value = part.key_value
    kind = part.tolerance.kind
    if kind == "absolute":
        tolerance = part.tolerance.value
    elif kind == "relative":
        tolerance = part.tolerance.value * abs(value)
        if part.tolerance.value <= 1e-9:
            tolerance = 0.0  # the default: exact up to rounding, Moodle's 0
    else:
        tolerance = part.tolerance.half_width(value)
    return value, float(f"{tolerance:.12g}")


def _essay(item: dict[str, Any], text: str, note: str, notes: list[str]) -> Question:
    notes.append(f"item {item['id']}: {note}")
    rubric = item.get("rubric") or []
    info = "\n".join(
        f"- {r.get('criterion', '')} ({r.get('points', 0)}): {r.get('description', '')}".rstrip(
            ": "
        )
        for r in rubric
    )
    if item.get("model_answer"):
        info += ("\n\n" if info else "") + "Model answer: " + item["model_answer"]
    return Question("essay", item, text, graderinfo=info)


def question_for(item: dict[str, Any], notes: list[str]) -> Question:
    kind = item["type"]
    text = tex_to_moodle(item.get("text", ""))
    if item.get("params"):
        return _essay(
            item,
            text + "\n\n*(A parameterised item: each student gets other numbers in the app.)*",
            "has params (a different variant per student); exported as an essay",
            notes,
        )
    if kind in ("numeric", "symbolic"):
        usable = kind == "numeric" or (
            not item.get("variables") and item.get("form", "any") == "any"
        )
        found = _numeric_value(item) if usable else None
        if found is None:
            return _essay(
                item,
                text,
                f"a {kind} item whose key is not a plain number (Moodle has no symbolic "
                "type); exported as an essay",
                notes,
            )
        value, tolerance = found
        answers = [{"fraction": 100, "text": _number_text(value), "tolerance": tolerance}]
        for mistake in item.get("mistakes") or []:
            spec = {**item, "answer": mistake["answer"], "mistakes": []}
            mistake_value = _numeric_value(spec)
            if mistake_value is None:
                notes.append(f"item {item['id']}: the mistake {mistake['answer']!r} is not kept")
                continue
            answers.append(
                {
                    "fraction": round(100 * float(mistake.get("credit", 0)), 5),
                    "text": _number_text(mistake_value[0]),
                    "tolerance": tolerance,
                    "feedback": tex_to_moodle(mistake.get("feedback", "")),
                }
            )
        question = Question("numerical", item, text, answers)
        if kind == "numeric" and item.get("unit"):
            # Only the key's own unit: Moodle accepts the units listed, while the grader
            # converts any unit of the same kind (4000 ms for 4 s) whatever is listed.
            question.units = [(str(item["unit"]), 1.0)]
            question.unit_required = bool(item.get("unit_required", True))
        if kind == "symbolic":
            notes.append(f"item {item['id']}: a symbolic item exported as its numeric value")
        return question
    if kind == "multiple_choice":
        choices = item["choices"]
        ids = [c["id"] for c in choices]
        if sorted(ids) == ["false", "true"] and not item.get("multiple"):
            truth = next(c for c in choices if c["correct"])["id"] == "true"
            question = Question("truefalse", item, text, truth=truth)
            question.answers = [
                {"fraction": 100 if (c["id"] == "true") == truth else 0, "text": c["id"],
                 "feedback": tex_to_moodle(c.get("feedback", ""))}
                for c in choices
            ]  # fmt: skip
            return question
        multiple = bool(item.get("multiple"))
        right = sum(1 for c in choices if c.get("correct"))
        share = round(100 / right, 5) if multiple else 100
        answers = [
            {
                "fraction": share if c.get("correct") else (-share if multiple else 0),
                "text": tex_to_moodle(c["text"]),
                "feedback": tex_to_moodle(c.get("feedback", "")),
            }
            for c in choices
        ]
        return Question("multichoice", item, text, answers, single=not multiple)
    if kind == "short_text":
        answers = [
            {
                "fraction": round(100 * float(a.get("credit", 1)), 5),
                "text": a["text"],
                "feedback": tex_to_moodle(a.get("feedback", "")),
            }
            for a in item["answers"]
        ]
        return Question("shortanswer", item, text, answers)
    if kind == "matching":
        question = Question("matching", item, text)
        question.answers = [
            {"fraction": 0, "text": p["answer"], "prompt": tex_to_moodle(p["prompt"])}
            for p in item["pairs"]
        ] + [{"fraction": 0, "text": d, "prompt": ""} for d in item.get("distractors", [])]
        return question
    if kind == "free_text":
        bounds = [k for k in ("min_chars", "max_chars") if item.get(k) is not None]
        if bounds:
            notes.append(
                f"item {item['id']}: {' and '.join(bounds)} not kept (Moodle essays count "
                "words, not characters)"
            )
        return _essay(item, text, "", [])
    if kind == "exercise":
        models = " and ".join(item.get("models", []))
        return _essay(
            item,
            text + f"\n\n*(In the course app this exercise runs the {models} model on your "
            "prompt; here, answer in text.)*",
            "an exercise that runs models; exported as an essay with a note",
            notes,
        )
    if kind == "multipart":
        cloze = _cloze_text(item, notes)
        if cloze is not None:
            return Question("cloze", item, text + "\n\n" + cloze)
    return _essay(
        item,
        text + "\n\n" + "\n".join(f"- {p.get('label') or p['id']}" for p in item.get("parts", [])),
        f"a {kind} item with a part Cloze cannot carry; exported as an essay listing its parts",
        notes,
    )


_CLOZE_SPECIAL = re.compile(r"([\\}~#])")


def _cloze_escape(text: str) -> str:
    return _CLOZE_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def _part_values(item: dict[str, Any]) -> dict[str, tuple[float, float, list[float | None]]]:
    """For each numeric or symbolic part with a number for a key: (value, absolute tolerance,
    each mistake's value), later keys worked out from earlier ones (``12 * per_image``)."""
    from graders.expr import EvalError, evaluate
    from graders.spec import InvalidSpec, compile_item

    try:
        compiled = compile_item(item)
    except (InvalidSpec, ValueError):
        return {}
    env: dict[str, float] = {}
    out: dict[str, tuple[float, float, list[float | None]]] = {}
    for part in compiled.parts:
        if part.type not in ("numeric", "symbolic") or part.key is None or part.variables:
            continue
        try:
            value = evaluate(part.key, env)
        except EvalError:
            continue
        if isinstance(value, complex) or not math.isfinite(value):
            continue
        env[part.id] = value
        tolerance = part.tolerance
        if tolerance.kind == "absolute":
            width = tolerance.value
        elif tolerance.kind == "relative":
            width = 0.0 if tolerance.value <= 1e-9 else tolerance.value * abs(value)
        else:
            width = tolerance.half_width(value)
        mistakes: list[float | None] = []
        for mistake in part.mistakes:
            try:
                mistakes.append(float(evaluate(mistake.node, env)))
            except (EvalError, TypeError):
                mistakes.append(None)
        out[part.id] = (value, float(f"{width:.12g}"), mistakes)
    return out


def _cloze_part(
    part: dict[str, Any], values: dict[str, Any], item_id: str, notes: list[str]
) -> str | None:
    """One part as an embedded answer ``{weight:TYPE:answers}``, or None if Cloze cannot
    carry it (a free-text part, a key that is not a number)."""
    weight = part.get("weight", 1)
    if float(weight) != int(weight) or weight < 1:
        notes.append(f"item {item_id}: part {part['id']}'s weight {weight} is rounded for Cloze")
    prefix = f"{{{max(1, round(float(weight)))}:"

    def feedback(text: str) -> str:
        return f"#{_cloze_escape(tex_to_moodle(text))}" if text else ""

    if part["type"] in ("numeric", "symbolic"):
        if part["id"] not in values or part.get("unit"):
            return None
        if part["type"] == "symbolic" or part.get("carry_forward"):
            why = "no error carried forward" if part.get("carry_forward") else "its form unchecked"
            notes.append(f"item {item_id}: part {part['id']} is checked by its value ({why})")
        value, width, mistake_values = values[part["id"]]
        answers = [f"%100%{_number_text(value)}:{width!r}"]
        for mistake, mistake_value in zip(part.get("mistakes") or [], mistake_values, strict=True):
            if mistake_value is None:
                continue
            credit = _number_text(100 * float(mistake.get("credit", 0)))
            answers.append(
                f"%{credit}%{_number_text(mistake_value)}:{width!r}{feedback(mistake['feedback'])}"
            )
        return prefix + "NUMERICAL:" + "~".join(answers) + "}"
    sub = question_for({**part, "text": part.get("label") or part["id"]}, [])
    if sub.kind not in ("multichoice", "truefalse", "shortanswer"):
        return None
    answers = [
        f"%{_number_text(float(a['fraction']))}%{_cloze_escape(a['text'])}"
        + (f"#{_cloze_escape(a['feedback'])}" if a.get("feedback") else "")
        for a in sub.answers
    ]
    if sub.kind == "shortanswer":
        kind = "SHORTANSWER_C" if part.get("case_sensitive") else "SHORTANSWER"
    elif sub.kind == "multichoice" and not sub.single:
        kind = "MULTIRESPONSE"
    else:
        kind = "MULTICHOICE_VS" if part.get("shuffle", True) else "MULTICHOICE_V"
    return prefix + kind + ":" + "~".join(answers) + "}"


def _cloze_text(item: dict[str, Any], notes: list[str]) -> str | None:
    """The parts of a multipart item as Cloze lines (``label: {1:NUMERICAL:=4:0.01}``)."""
    lines, part_notes = [], []
    values = _part_values(item)
    for part in item.get("parts", []):
        embedded = _cloze_part(part, values, item["id"], part_notes)
        if embedded is None:
            return None
        lines.append(f"{tex_to_moodle(part.get('label') or part['id'])}: {embedded}")
    notes.append(f"item {item['id']}: exported as Cloze, one embedded answer per part")
    notes.extend(part_notes)
    return "\n\n".join(lines)


# --- Moodle XML ---------------------------------------------------------------------------------


_MEDIA_URL = re.compile(r"/courses/[a-z0-9-]+/media/(?P<sha>[0-9a-f]{64})\.(?:png|jpg|gif|webp)")
#: sha256 -> (file name, bytes) of a course's stored images, for the Moodle XML export.
MediaFiles = dict[str, tuple[str, bytes]] | None


def _text_element(
    tag: str, text: str, fmt: str = "markdown", indent: str = "    ", media: MediaFiles = None
) -> str:
    """``<tag format=…><text>…</text></tag>``; with ``media``, the course's images the text
    shows go back into the file as Moodle embeds them (``@@PLUGINFILE@@`` and ``<file>``)."""
    files = ""
    if media:
        names: dict[str, str] = {}

        def plugin_file(match: re.Match[str]) -> str:
            found = media.get(match["sha"])
            if found is None:
                return match.group(0)
            name = names.setdefault(match["sha"], f"{match['sha'][:8]}-{found[0]}")
            return "@@PLUGINFILE@@/" + quote(name)

        text = _MEDIA_URL.sub(plugin_file, text)
        files = "".join(
            f'<file name={quoteattr(name)} path="/" encoding="base64">'
            f"{base64.b64encode(media[sha][1]).decode('ascii')}</file>"
            for sha, name in names.items()
        )
    return f'{indent}<{tag} format="{fmt}"><text>{escape(text)}</text>{files}</{tag}>\n'


def _xml_question(question: Question, media: MediaFiles = None) -> str:
    item = question.item
    out = [f'  <question type="{question.kind}">\n']
    out.append(f"    <name><text>{escape(item.get('title') or item['id'])}</text></name>\n")
    out.append(_text_element("questiontext", question.text, media=media))
    out.append(
        _text_element("generalfeedback", tex_to_moodle(item.get("explanation", "")), media=media)
    )
    out.append(f"    <defaultgrade>{_number_text(float(item.get('points', 1)))}</defaultgrade>\n")
    out.append(f"    <penalty>{float(item.get('retry_penalty', 0)):.7f}</penalty>\n")
    out.append("    <hidden>0</hidden>\n")
    out.append(f"    <idnumber>{escape(item['id'])}</idnumber>\n")
    if question.kind == "multichoice":
        out.append(f"    <single>{'true' if question.single else 'false'}</single>\n")
        out.append(f"    <shuffleanswers>{'true' if item.get('shuffle', True) else 'false'}"
                   "</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n")  # fmt: skip
    if question.kind == "shortanswer":
        out.append(f"    <usecase>{1 if item.get('case_sensitive') else 0}</usecase>\n")
    if question.kind == "essay":
        out.append("    <responseformat>editor</responseformat>\n")
        out.append("    <responserequired>1</responserequired>\n")
        out.append("    <responsefieldlines>10</responsefieldlines>\n")
        out.append("    <attachments>0</attachments>\n")
        out.append("    <attachmentsrequired>0</attachmentsrequired>\n")
        out.append(_text_element("graderinfo", question.graderinfo))
        out.append(_text_element("responsetemplate", "", "html"))
    if question.kind == "matching":
        out.append(f"    <shuffleanswers>{'true' if item.get('shuffle', True) else 'false'}"
                   "</shuffleanswers>\n")  # fmt: skip
        for answer in question.answers:
            out.append('    <subquestion format="markdown">\n'
                       f"      <text>{escape(answer['prompt'])}</text>\n"
                       f"      <answer><text>{escape(answer['text'])}</text></answer>\n"
                       "    </subquestion>\n")  # fmt: skip
    for answer in question.answers if question.kind != "matching" else []:
        fmt = "markdown" if question.kind == "multichoice" else "moodle_auto_format"
        out.append(f'    <answer fraction={quoteattr(_number_text(float(answer["fraction"])))}'
                   f' format="{fmt}">\n      <text>{escape(answer["text"])}</text>\n')  # fmt: skip
        out.append(_text_element("feedback", answer.get("feedback", ""), indent="      "))
        if question.kind == "numerical":
            out.append(f"      <tolerance>{answer['tolerance']!r}</tolerance>\n")
        out.append("    </answer>\n")
    if question.units:
        out.append("    <units>\n")
        for name, multiplier in question.units:
            out.append(f"      <unit><multiplier>{multiplier!r}</multiplier>"
                       f"<unit_name>{escape(name)}</unit_name></unit>\n")  # fmt: skip
        out.append("    </units>\n")
        out.append(f"    <unitgradingtype>{1 if question.unit_required else 0}</unitgradingtype>\n")
        out.append("    <unitpenalty>1.0000000</unitpenalty>\n    <showunits>0</showunits>\n")
        out.append("    <unitsleft>0</unitsleft>\n")
    for hint in item.get("hints") or []:
        out.append(_text_element("hint", tex_to_moodle(hint)))
    tags = item.get("tags") or []
    if tags:
        out.append("    <tags>\n")
        out += [f"      <tag><text>{escape(t)}</text></tag>\n" for t in tags]
        out.append("    </tags>\n")
    out.append("  </question>\n")
    return "".join(out)


def _category_path(lesson_title: str) -> str:
    return "$course$/top/" + lesson_title.replace("/", "//")


def to_moodle_xml(data: dict[str, Any], media: MediaFiles = None) -> Exported:
    notes: list[str] = []
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f"<!-- {escape(data.get('title', data['course']))}: exported from the gradebook -->\n",
           "<quiz>\n"]  # fmt: skip
    for lesson in data["lessons"]:
        out.append('  <question type="category">\n')
        out.append(f"    <category><text>{escape(_category_path(lesson['title']))}"
                   "</text></category>\n")  # fmt: skip
        out.append(_text_element("info", lesson.get("summary", ""), "moodle_auto_format"))
        out.append(f"    <idnumber>{escape(lesson['slug'])}</idnumber>\n  </question>\n")
        if lesson.get("body"):
            out.append('  <question type="description">\n')
            out.append(f"    <name><text>{escape(lesson['title'])}</text></name>\n")
            out.append(_text_element("questiontext", tex_to_moodle(lesson["body"]), media=media))
            out.append("  </question>\n")
        for item in lesson.get("items", []):
            out.append(_xml_question(question_for(item, notes), media))
    out.append("</quiz>\n")
    # What the format could not carry is written into the file too (the admin's download has
    # no other place to say it).
    comments = [f"<!-- note: {escape(n).replace('--', '- -')} -->\n" for n in notes]
    return Exported("".join(out[:2] + comments + out[2:]), notes)


# --- GIFT ---------------------------------------------------------------------------------------

_GIFT_SPECIAL = re.compile(r"([\\:=~#{}])")


def gift_escape(text: str) -> str:
    """GIFT's reserved characters escaped, newlines written ``\\n`` (a blank line would end
    the question)."""
    return _GIFT_SPECIAL.sub(r"\\\1", text).replace("\r", "").replace("\n", "\\n")


def _gift_question(question: Question, notes: list[str]) -> str:
    item = question.item
    title = gift_escape(item.get("title") or item["id"])
    head = f"::{title}::[markdown]{gift_escape(question.text)}"
    if question.kind == "essay":
        return head + "{}\n"
    lines: list[str] = []
    if question.kind == "truefalse":
        right = next(a for a in question.answers if a["fraction"] == 100)
        wrong = next(a for a in question.answers if a["fraction"] != 100)
        block = "TRUE" if question.truth else "FALSE"
        block += f"#{gift_escape(wrong['feedback'])}#{gift_escape(right['feedback'])}"
        lines.append(block)
    elif question.kind == "multichoice":
        for answer in question.answers:
            fraction = answer["fraction"]
            mark = (
                "="
                if question.single and fraction == 100
                else ("~" if fraction == 0 else f"~%{_number_text(float(fraction))}%")
            )
            feedback = f"#{gift_escape(answer['feedback'])}" if answer.get("feedback") else ""
            lines.append(f"{mark}{gift_escape(answer['text'])}{feedback}")
    elif question.kind == "shortanswer":
        if item.get("case_sensitive"):
            notes.append(f"item {item['id']}: GIFT short answers are case-insensitive")
        for answer in question.answers:
            feedback = f"#{gift_escape(answer['feedback'])}" if answer.get("feedback") else ""
            lines.append(
                f"=%{_number_text(float(answer['fraction']))}%{gift_escape(answer['text'])}{feedback}"
            )
    elif question.kind == "matching":
        for answer in question.answers:
            lines.append(f"={gift_escape(answer['prompt'])} -> {gift_escape(answer['text'])}")
    elif question.kind == "numerical":
        if question.units:
            notes.append(f"item {item['id']}: GIFT has no units; the unit is not exported")
        for answer in question.answers:
            feedback = f"#{gift_escape(answer['feedback'])}" if answer.get("feedback") else ""
            lines.append(
                f"=%{_number_text(float(answer['fraction']))}%{answer['text']}:"
                f"{answer['tolerance']!r}{feedback}"
            )
        lines[0] = "#" + lines[0]
    explanation = item.get("explanation")
    if explanation:
        lines.append("####" + gift_escape(tex_to_moodle(explanation)))
    return head + "{\n" + "\n".join("\t" + line for line in lines) + "\n}\n"


def to_gift(data: dict[str, Any]) -> Exported:
    notes: list[str] = []
    out = [f"// {data.get('title', data['course'])}: exported from the gradebook\n\n"]
    for lesson in data["lessons"]:
        out.append(f"$CATEGORY: {_category_path(lesson['title'])}\n\n")
        if lesson.get("body"):
            out.append(
                f"::{gift_escape(lesson['title'])}::[markdown]"
                f"{gift_escape(tex_to_moodle(lesson['body']))}\n\n"
            )
        for item in lesson.get("items", []):
            question = question_for(item, notes)
            out.append(_gift_question(question, notes) + "\n")
    comments = [f"// note: {n}\n" for n in notes] + (["\n"] if notes else [])
    return Exported("".join(out[:1] + comments + out[1:]), notes)


def export_course_as(course: Course, fmt: str) -> Exported:
    """The course in ``fmt`` (one of :data:`EXPORT_FORMATS`), with notes on what was
    approximated (always empty for yaml and json, which are lossless)."""
    if fmt in ("yaml", "json"):
        from gradebook.courses.bank.exporting import export_course

        return Exported(export_course(course, fmt=fmt))
    data = course_to_bank(course)
    if fmt == "moodle-xml":
        media = {m.sha256: (m.name, bytes(m.content)) for m in course.media.all()}
        return to_moodle_xml(data, media)
    if fmt == "gift":
        return to_gift(data)
    raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
