"""A persistent PostgreSQL connection is checked without a round trip, and a dead one replaced."""

import time

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]


@pytest.fixture
def other():
    """A second connection to the test database, as another request's thread would hold."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _last_query_of(pid: int) -> str:
    with connection.cursor() as cursor:
        # Statistics are a snapshot per transaction, and each test runs in one: take a new one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def _terminate(wrapper) -> None:
    pid = wrapper.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's FATAL message and the closed socket arrive a moment later.
    import select

    poller = select.poll()
    poller.register(wrapper.connection.fileno(), select.POLLIN)
    assert poller.poll(5000), "the terminated connection never became readable"


def test_it_uses_our_backend():
    assert type(connections["default"]).__module__ == "gradebook.db.postgresql.base"


def test_a_healthy_idle_connection_is_usable_without_a_query(other):
    with other.cursor() as cursor:
        cursor.execute("SELECT 'the marker query'")
    pid = other.connection.info.backend_pid
    assert other.is_usable()
    assert _last_query_of(pid) == "SELECT 'the marker query'"


def test_a_connection_the_server_ended_is_not_usable(other):
    _terminate(other)
    assert not other.is_usable()


def test_a_request_on_a_connection_the_server_ended_reconnects_instead_of_failing(other):
    old_pid = other.connection.info.backend_pid
    _terminate(other)
    # What Django does at the start of a request on a persistent connection.
    other.health_check_enabled = True
    other.health_check_done = False
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        new_pid = cursor.fetchone()[0]
    assert new_pid != old_pid


def test_a_closed_connection_is_not_usable(other):
    other.connection.close()
    assert not other.is_usable()


def test_the_poll_is_cheaper_than_the_round_trip_it_replaces(other):
    """Not a timing test: counts the statements the server saw, via its own statistics."""
    from django.db.backends.postgresql.base import DatabaseWrapper as Django

    with other.cursor() as cursor:
        cursor.execute("SELECT 'before'")
    pid = other.connection.info.backend_pid
    for _ in range(20):
        assert other.is_usable()
    assert _last_query_of(pid) == "SELECT 'before'"
    assert Django.is_usable(other)  # Django's own check does ask the server
    deadline = time.monotonic() + 5
    while _last_query_of(pid) != "SELECT 1" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _last_query_of(pid) == "SELECT 1"
