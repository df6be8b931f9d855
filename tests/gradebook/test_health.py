"""Health checks: liveness touches nothing, readiness names the part that does not answer."""

from __future__ import annotations

import socket

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readiness_checks_the_database_the_cache_and_the_broker(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["database"], body["cache"], body["broker"]) == (
        "ok",
        "ok",
        "ok",
        "ok",
    )


@pytest.fixture
def unreachable_broker(monkeypatch):
    """The broker URL points at a port nothing listens on."""
    from gradebook.celery import app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = f"redis://127.0.0.1:{port}/0", {}
    app._pool = None
    yield
    app.conf.broker_url, app.conf.broker_transport_options = saved
    app._pool = None


def test_readiness_is_503_and_names_a_broker_that_does_not_answer(client, unreachable_broker):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["broker"], body["database"]) == ("unavailable", "failed", "ok")
