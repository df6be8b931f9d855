"""Every word a template shows is marked for translation (so the Korean catalog can carry it).

The check reads each template the way a translator's tool would: template tags and variables
are blanked out, text inside ``{% translate %}``/``{% blocktranslate %}`` is removed, and what
is left is parsed as HTML. Any text node, or user-visible attribute (title, alt, placeholder,
aria-label, value of a button), that still holds a letter was written in one language only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label", "data-ok"}
#: Symbols and units that read the same in every language.
ALLOWED = {"XP", "Σ", "%", "pt", "ln", "log10", "x, y", "s"}
LETTER = re.compile(r"[A-Za-z\uac00-\ud7a3]")

_COMMENT = re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}", re.DOTALL)
_BLOCK = re.compile(
    r"\{%\s*blocktranslate\b.*?%\}.*?\{%\s*endblocktranslate\s*%\}"
    r"|\{%\s*blocktrans\b.*?%\}.*?\{%\s*endblocktrans\s*%\}",
    re.DOTALL,
)
_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
#: A literal shown through a variable: {{ x|default:"none" }}.
_LITERAL_IN_VARIABLE = re.compile(
    r"\{\{[^}]*?\|default(?:_if_none)?:\s*\"([^\"]*[A-Za-z][^\"]*)\"[^}]*\}\}"
)
#: Blocks whose content is a class name or an id, not text.
_CLASS_BLOCK = re.compile(r"\{%\s*block\s+\w+_class\s*%\}.*?\{%\s*endblock", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    # Keep the line breaks so positions still point at the template's lines.
    return "".join("\n" if ch == "\n" else " " for ch in match.group(0))


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value is None:
                continue
            kind = dict(attrs).get("type") or ""
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and kind in ("submit", "button", "reset")
            )
            if visible and LETTER.search(value) and value.strip() not in ALLOWED:
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip or not LETTER.search(data):
            return
        line = self.getpos()[0]
        for match in re.finditer(r"[^·→←›‹()|/:,\s][^·→←›‹()|/:,\n]*", data):
            piece = match.group(0).strip(" .–-")
            if piece and LETTER.search(piece) and piece not in ALLOWED:
                self.found.append((line + data[: match.start()].count("\n"), piece))


def unmarked(source: str) -> list[tuple[int, str]]:
    """(line, text) for each piece of visible text not marked for translation."""
    found = [
        (source[: m.start()].count("\n") + 1, f"literal {m.group(1)!r} in a variable")
        for m in _LITERAL_IN_VARIABLE.finditer(source)
    ]
    text = _COMMENT.sub(_blank, source)
    text = _CLASS_BLOCK.sub(_blank, text)
    text = _BLOCK.sub(_blank, text)
    text = _TAG.sub(_blank, text)
    finder = _Finder()
    finder.feed(text)
    finder.close()
    return found + finder.found


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_visible_word_is_marked_for_translation(path):
    problems = unmarked(path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(
        f"{path.relative_to(TEMPLATES)}:{line}: {text}" for line, text in problems
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>{% translate 'Hello' %}</p>", []),
        ("<p>Hello</p>", [(1, "Hello")]),
        ('<input placeholder="name">', [(1, 'placeholder="name"')]),
        ('<input placeholder="{% translate "name" %}">', []),
        ("{% blocktranslate with n=3 %}{{ n }} items{% endblocktranslate %}", []),
        ("<p>\n{{ item.title }} · Answer</p>", [(2, "Answer")]),
        ('{{ x|default:"none" }}', [(1, "literal 'none' in a variable")]),
        ("{# a comment #}<b>{{ level.xp }} XP</b>", []),
    ],
)
def test_the_check_finds_unmarked_text(source, expected):
    assert unmarked(source) == expected
