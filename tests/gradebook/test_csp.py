"""Content-Security-Policy: scripts only from this site or with the page's nonce."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_strict_policy(client, alice):
    client.force_login(alice)
    policy = _policy(client.get("/"))
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_no_template_has_an_inline_handler_or_an_unnonced_script():
    from pathlib import Path

    from django.conf import settings

    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+=\"", html), path
        for attrs in re.findall(r"<(?:script|style)([^>]*)>", html):
            if "src=" in attrs or "application/json" in attrs:
                continue
            assert 'nonce="{{ CSP_NONCE }}"' in attrs, path


def test_an_inline_script_or_style_would_carry_the_headers_nonce(rf, ada):
    """No page has one today (every script and style is a file); the nonce a template gets is
    the header's all the same, for the day one does."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import RequestContext, Template

    def view(request):
        template = Template('<style nonce="{{ CSP_NONCE }}"></style>')
        return HttpResponse(template.render(RequestContext(request)))

    request = rf.get("/")
    request.user = ada
    page = CSPMiddleware(view)(request)
    policy = _policy(page)
    nonce = next(v for v in policy["style-src"] if v.startswith("'nonce-"))[7:-1]
    assert f'nonce="{nonce}"' in page.content.decode()


def test_the_teachers_pages_have_no_inline_script_or_style(client, ada):
    client.force_login(ada)
    html = client.get("/teach/").content.decode()
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)
