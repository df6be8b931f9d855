"""Korean is complete: every marked string has a translation, and the grader speaks Korean too.

The catalog check reads the source the way ``makemessages`` does (templates through Django's
own ``templatize``, Python through its AST), so a new string without a Korean translation fails
here even on a machine without gettext's tools.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.utils import translation
from django.utils.translation.template import templatize

import graders
from gradebook.ui.grader_messages import translate_message

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
SOURCES = ["gradebook", "exercises", "templates"]
FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def catalog() -> dict[str, dict[str, object]]:
    """msgid -> {"msgstr": [...], "fuzzy": bool} from the Korean .po file."""
    entries: dict[str, dict[str, object]] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block or re.search(r"^#,.*\bfuzzy\b", block, re.M) is not None
        parts: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            m = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if m:
                key = m.group(1)
                parts[key] = _unquote(m.group(2))
            elif line.startswith('"') and key:
                parts[key] += _unquote(line)
        if parts.get("msgid"):
            strs = [v for k, v in parts.items() if k.startswith("msgstr")]
            entries[parts["msgid"]] = {"msgstr": strs, "fuzzy": fuzzy}
    return entries


def _python_msgids(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        arg = node.args[0]
        if name in FUNCTIONS and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.add(arg.value)
    return found


def _template_msgids(path: Path) -> set[str]:
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # templatize writes each string as a gettext call: gettext(u'One'), ngettext(u'..', u'..', c)
    call = re.compile(r"\b(?:gettext|ngettext|pgettext|npgettext)\(u?('(?:[^'\\]|\\.)*')")
    return {ast.literal_eval(m.group(1)) for m in call.finditer(code)}


def source_msgids() -> set[str]:
    found: set[str] = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if "migrations" in path.parts:
                continue
            if path.suffix == ".py":
                found |= _python_msgids(path)
            elif path.suffix == ".html":
                found |= _template_msgids(path)
    return found


def test_every_marked_string_has_a_korean_translation():
    entries = catalog()
    missing = sorted(m for m in source_msgids() if m not in entries)
    assert not missing, f"{len(missing)} strings are not in {PO.name}: {missing[:20]}"
    untranslated = sorted(
        m
        for m, e in entries.items()
        if e["fuzzy"] or not all(e["msgstr"])  # type: ignore[arg-type]
    )
    assert not untranslated, f"{len(untranslated)} entries need a translation: {untranslated[:20]}"


def test_the_check_reads_templates_like_makemessages(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "{% load i18n %}<p>{% translate 'One' %}</p>"
        "{% blocktranslate count n=3 %}{{ n }} try{% plural %}{{ n }} tries{% endblocktranslate %}",
        encoding="utf-8",
    )
    assert _template_msgids(page) == {"One", "%(n)s try"}


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_compiled_catalog_is_the_po_file(tmp_path):
    out = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-c", "-o", str(out), str(PO)], check=True, capture_output=True)
    committed = PO.with_suffix(".mo").read_bytes()
    assert out.read_bytes() == committed, "run: msgfmt -o locale/ko/LC_MESSAGES/django.mo ..."


# --- The grader's messages ---------------------------------------------------------------------


def _sample_items() -> list[dict]:
    data = yaml.safe_load((ROOT / "banks" / "ai-generation-basics.yaml").read_text("utf-8"))
    return [item for lesson in data["lessons"] for item in lesson.get("items", [])]


def _answers(part: dict) -> list[str]:
    key = str(part.get("answer", "1"))
    unit = f" {part['unit']}" if part.get("unit") else ""
    wrong = [
        key + unit,
        f"-({key}){unit}",
        f"10*({key}){unit}",
        "4 kg",
        "4 furlongs",
        "",
        "1,5",
        "(1 + 2",
        "ln(",
        "zz",
        "3 4",
        "s",
        "1.2039",
        "2,000",
        "sqrt 2",
        "#",
        "1e999",
    ]
    if part.get("unit"):
        wrong += ["4", f"0.004 k{part['unit']}"]
    return wrong


def _messages() -> set[str]:
    texts: set[str] = set()
    for spec in _sample_items():
        kind = spec["type"]
        if kind in ("numeric", "symbolic", "multiple_choice"):
            texts.add(graders.input_help(spec))
        params = graders.variant(spec, 0) if spec.get("params") else None
        responses: list[object] = []
        if kind in ("numeric", "symbolic"):
            responses = list(_answers(spec))
        elif kind == "multipart":
            parts = spec["parts"]
            for part in parts:
                texts.add(graders.input_help(spec, part=part["id"]))
            for a in _answers(parts[0]):
                responses.append({p["id"]: (a if i == 0 else "1") for i, p in enumerate(parts)})
        elif kind == "multiple_choice":
            ids = [c["id"] for c in spec["choices"]]
            responses = [[i] for i in ids] + ["nope", ids, ""]
        elif kind == "free_text":
            responses = ["x", "", 3]
        for response in responses:
            result = graders.grade(spec, response, params=params)
            texts.add(result.feedback)
            texts.update(result.hints)
            for part in result.parts:
                texts.add(part.feedback)
                texts.update(part.hints)
            if result.interpretation is not None:
                texts.add(result.interpretation.message)
    # Author-written feedback (declared mistakes, choice feedback) is the course's own text.
    authored = {
        str(x.get("feedback", ""))
        for spec in _sample_items()
        for source in [spec, *spec.get("parts", [])]
        for x in [*source.get("mistakes", []), *source.get("choices", [])]
    }
    return {t for t in texts if t and t not in authored and not any(a and a in t for a in authored)}


def test_the_graders_messages_read_in_korean():
    messages = _messages()
    assert len(messages) > 25  # the corpus reaches many message shapes
    with translation.override("ko"):
        english_left = {
            text: translate_message(text)
            for text in messages
            if re.search(r"\b[A-Za-z]{4,}\b(?:\s+\b[A-Za-z]{3,}\b){2}", translate_message(text))
            or not HANGUL.search(translate_message(text))
        }
    assert not english_left, "\n".join(f"{k!r} -> {v!r}" for k, v in sorted(english_left.items()))


def test_english_pages_keep_the_graders_words():
    with translation.override("en"):
        assert translate_message("2 of 3 parts correct.") == "2 of 3 parts correct."
