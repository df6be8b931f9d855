"""The API schema and docs: behind a login, and each role sees the operations it may call."""

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

JSON = "application/vnd.oai.openapi+json"


def _schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT=JSON)
    assert response.status_code == 200
    return response.json()


def test_an_anonymous_visitor_gets_no_schema_and_is_sent_to_log_in_for_the_docs(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")


def test_a_student_sees_no_teacher_operation_nor_its_components(alice):
    client = APIClient()
    client.force_authenticate(alice)
    schema = _schema(client)
    assert "/api/items/{item_id}/submit/" in schema["paths"]
    assert not [p for p in schema["paths"] if p.startswith("/api/teach/")]
    text = str(schema)
    assert "Override" not in text and "Regrade" not in text
    # Every reference left points at a component that is there.
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in schema["components"]["schemas"]


def test_a_teacher_sees_the_teaching_operations(tara):
    client = APIClient()
    client.force_authenticate(tara)
    paths = _schema(client)["paths"]
    assert "/api/teach/queue/" in paths and "/api/items/{item_id}/submit/" in paths


def test_the_docs_page_runs_no_inline_script(alice, client):
    client.force_login(alice)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    init = client.get(re.search(r'<script src="([^"]*script[^"]*)"', html).group(1))
    assert init.status_code == 200 and b"SwaggerUIBundle" in init.content
