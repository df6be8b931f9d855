"""Markdown and LaTeX to safe HTML, server-side: lesson bodies, key-fact formulas, item text.

Bank text is written by teachers but may come from anywhere (an uploaded file, a pasted web
page), so it is stored exactly as written and sanitised only when rendered: Markdown goes
through ``nh3`` (an allow-list HTML sanitiser; bleach is deprecated), and math is turned into
MathML here, so pages need no CDN or client-side script to show formulas.

Math follows the usual Markdown conventions: ``$...$`` inline, ``$$...$$`` display, ``\\$`` for
a literal dollar sign. An inline ``$`` must hug its content (``$x$``, not ``$ x $``) and the
closing one must not be followed by a digit, so prices such as "$5 and $10" stay text. Code
spans and fenced code blocks are left alone.
"""

from __future__ import annotations

import html
import re
import secrets
from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert as latex_to_mathml

#: Presentation MathML that latex2mathml produces; everything else is dropped by nh3.
MATHML_TAGS = frozenset(
    {
        "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
        "msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "munder", "mover", "munderover",
        "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror",
        "mmultiscripts", "mprescripts", "none",
    }
)  # fmt: skip
MATHML_ATTRIBUTES: dict[str, set[str]] = {
    "math": {"xmlns", "display"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "largeop",
           "movablelimits", "symmetric", "minsize", "maxsize", "accent"},
    "mi": {"mathvariant"},
    "mn": {"mathvariant"},
    "mtext": {"mathvariant"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant", "mathsize"},
    "mspace": {"width", "height", "depth"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mfrac": {"linethickness"},
    "mtable": {"columnalign", "rowspacing", "columnspacing", "displaystyle"},
    "mtd": {"columnalign", "columnspan", "rowspan"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "menclose": {"notation"},
    "annotation": {"encoding"},
}  # fmt: skip

_HTML_TAGS = set(nh3.ALLOWED_TAGS)
_HTML_ATTRIBUTES: dict[str, set[str]] = {k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in ("code", "pre", "span", "div"):
    # Fenced code blocks carry their language as a class; nothing else uses attributes here.
    _HTML_ATTRIBUTES.setdefault(_tag, set()).add("class")

# Code is protected from math extraction: ``` fences, ~~~ fences, then `inline` spans.
_CODE = re.compile(
    r"(?P<fence>^(?P<mark>`{3,}|~{3,})[^\n]*\n.*?^(?P=mark)[ \t]*$)"
    r"|(?P<inline>(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`))",
    re.MULTILINE | re.DOTALL,
)
_DISPLAY_MATH = re.compile(r"(?<!\\)\$\$(?P<tex>.+?)(?<!\\)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])(?P<tex>[^$\n]+?)(?<![\s\\])\$(?!\d)")


def render_math(latex: str, *, display: bool = False) -> SafeString:
    """One LaTeX formula as sanitised MathML; unreadable LaTeX is shown as escaped code.

    >>> render_math(r"L = -\\ln(0.3)")  # doctest: +ELLIPSIS
    '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">...</math>'
    """
    return mark_safe(_math_html(latex.strip(), display))  # noqa: S308 - nh3-sanitised


@lru_cache(maxsize=2048)
def _math_html(latex: str, display: bool) -> str:
    if not latex:
        return ""
    try:
        mathml = latex_to_mathml(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types on malformed input; none is fatal here
        return f'<code class="math-error">{html.escape(latex)}</code>'
    return nh3.clean(mathml, tags=set(MATHML_TAGS), attributes=MATHML_ATTRIBUTES)


def render_markdown(text: str) -> SafeString:
    """Markdown with ``$...$`` / ``$$...$$`` math, as sanitised HTML ready for a template.

    Raw HTML in the text is allowed through the allow-list only: ``<script>``, event handlers
    and ``javascript:`` links are removed, so bank text can never run code in a student's page.

    >>> render_markdown("**Loss** $L = -\\\\ln(p)$")  # doctest: +ELLIPSIS
    '<p><strong>Loss</strong> <math ...</math></p>'
    """
    if not text:
        return mark_safe("")
    return mark_safe(_markdown_html(text))  # noqa: S308 - nh3-sanitised


@lru_cache(maxsize=512)
def _markdown_html(text: str) -> str:
    # Math and literal dollars are swapped for placeholders before Markdown runs (so `_` and
    # `*` inside formulas are not read as emphasis), then swapped back after sanitising.
    nonce = secrets.token_hex(6)
    fragments: list[str] = []

    def hold(fragment: str) -> str:
        fragments.append(fragment)
        return f"MATH{nonce}X{len(fragments) - 1}X"

    def replace_math(segment: str) -> str:
        segment = segment.replace("\\$", hold("$"))
        segment = _DISPLAY_MATH.sub(lambda m: hold(_math_html(m["tex"].strip(), True)), segment)
        return _INLINE_MATH.sub(lambda m: hold(_math_html(m["tex"].strip(), False)), segment)

    pieces: list[str] = []
    position = 0
    for match in _CODE.finditer(text):
        pieces.append(replace_math(text[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(replace_math(text[position:]))

    rendered = markdown.markdown(
        "".join(pieces), extensions=["extra", "sane_lists"], output_format="html"
    )
    cleaned = nh3.clean(rendered, tags=_HTML_TAGS, attributes=_HTML_ATTRIBUTES)
    return re.sub(rf"MATH{nonce}X(\d+)X", lambda m: fragments[int(m.group(1))], cleaned)


#: What a comment may contain: text formatting, lists, quotes, code and links; no images (a
#: tracking pixel is an image), no tables, no headings (a comment is not a page).
USER_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a", "del", "hr"}
)


def render_user_markdown(text: str) -> SafeString:
    """Markdown a student or teacher writes (a comment), as HTML safe to show other people.

    The same Markdown and math as lesson text, then a stricter allow-list: raw HTML keeps only
    its text, links get ``rel="nofollow noopener noreferrer"`` and only http(s)/mailto targets.

    >>> render_user_markdown("<img src=x onerror=alert(1)>**hi** [x](javascript:alert(1))")
    '<p><strong>hi</strong> <a rel="nofollow noopener noreferrer">x</a></p>'
    """
    if not text:
        return mark_safe("")
    return mark_safe(_user_markdown_html(text))  # noqa: S308 - nh3-sanitised


@lru_cache(maxsize=1024)
def _user_markdown_html(text: str) -> str:
    return nh3.clean(
        _markdown_html(text),
        tags=set(USER_TAGS | MATHML_TAGS),
        attributes={"a": {"href"}, **MATHML_ATTRIBUTES},
        link_rel="nofollow noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    )
