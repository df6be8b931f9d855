"""Markdown and math are rendered server-side and sanitised: bank text never runs in a page."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from gradebook.courses.rendering import render_markdown, render_math


def test_it_renders_markdown_to_html():
    html = render_markdown("**Loss** is *cross entropy*.\n\n- one\n- two")
    assert "<strong>Loss</strong>" in html
    assert "<em>cross entropy</em>" in html
    assert "<li>one</li>" in html
    assert isinstance(html, SafeString)


@pytest.mark.parametrize(
    "hostile, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("<script>alert(1)</script>", "alert(1)"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">click</a>', "javascript:"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ('<div style="position:fixed">x</div>', "style="),
        ("<style>body{display:none}</style>", "<style"),
        ("$<script>alert(1)</script>$", "<script"),
        (r"$\href{javascript:alert(1)}{x}$", "javascript:"),
    ],
)
def test_it_strips_script_and_event_handlers(hostile, forbidden):
    assert forbidden not in render_markdown(hostile)


def test_it_keeps_the_text_around_removed_html():
    html = render_markdown("before <script>x()</script> after")
    assert "before" in html and "after" in html


def test_it_turns_inline_math_into_mathml():
    html = render_markdown(r"The loss is $L = -\ln(0.3)$ here.")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert "<mi>ln</mi>" in html
    assert "$" not in html


def test_it_turns_display_math_into_block_mathml():
    html = render_markdown(r"$$x_t = \sqrt{\alpha_t} x_0 + \sqrt{1 - \alpha_t} \epsilon$$")
    assert 'display="block"' in html
    assert "<msqrt>" in html


def test_underscores_inside_math_are_not_emphasis():
    html = render_markdown(r"$x_t$ and $\alpha_t$")
    assert "<em>" not in html
    assert html.count("<math") == 2


@pytest.mark.parametrize(
    "text",
    ["It costs $5 and $10.", "Pay $ 5 now $", "`$x$` in code", "Write \\$3 literally"],
)
def test_dollars_that_are_not_math_stay_text(text):
    assert "<math" not in render_markdown(text)


def test_an_escaped_dollar_is_shown_as_a_dollar():
    assert "costs $3" in render_markdown(r"costs \$3")


def test_math_in_a_fenced_code_block_is_left_as_typed():
    html = render_markdown('```\nprint("$a$")\n```')
    assert "<math" not in html
    assert "$a$" in html


def test_unreadable_latex_is_shown_escaped_not_dropped():
    html = render_math(r"\frac{")
    assert "math-error" in html
    assert r"\frac{" in html


def test_render_math_gives_inline_or_display_mathml():
    assert 'display="inline"' in render_math(r"\frac{a}{b}")
    assert 'display="block"' in render_math(r"\frac{a}{b}", display=True)
    assert render_math("  ") == ""


def test_korean_text_survives_rendering():
    assert "피파 한 줄 정리" in render_markdown("피파 한 줄 정리: 텍스트 모델은 token을 한 개씩")


def test_template_filters_render_sanitised_html():
    out = Template(
        "{% load rendering %}{{ body|markdown }}|{{ f|math }}|{{ f|display_math }}"
    ).render(Context({"body": "**hi** <script>x</script>", "f": "a^2"}))
    assert "<strong>hi</strong>" in out
    assert "<script" not in out
    assert out.count("<math") == 2
