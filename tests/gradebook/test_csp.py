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


def test_the_inline_script_of_a_page_carries_the_headers_nonce(client, ada):
    client.force_login(ada)
    page = client.get("/teach/")
    policy = _policy(page)
    nonce = next(v for v in policy["style-src"] if v.startswith("'nonce-"))[7:-1]
    assert f'nonce="{nonce}"' in page.content.decode()
