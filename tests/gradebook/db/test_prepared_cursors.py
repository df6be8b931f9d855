"""The backend keeps one prepared cursor per hot statement and connection, and drops them
with the connection."""

import pytest
from django.db import IntegrityError, connection, connections, transaction

from gradebook.hotpath import fetch_one

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]

SQL = "SELECT %s::int + 1"


def test_a_statement_runs_on_the_same_cursor_each_time():
    wrapper = connections["default"]
    assert fetch_one(SQL, [1]) == (2,)
    first = wrapper.prepared_cursor(SQL)
    assert fetch_one(SQL, [41]) == (42,)
    assert wrapper.prepared_cursor(SQL) is first and not first.closed


def test_a_new_connection_gets_new_cursors():
    other = connections.create_connection("default")
    try:
        assert fetch_one(SQL, [1], other) == (2,)
        before = other.prepared_cursor(SQL)
        other.close()
        assert fetch_one(SQL, [2], other) == (3,)
        assert other.prepared_cursor(SQL) is not before
    finally:
        other.close()


def test_a_failed_statement_leaves_its_cursor_usable():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="only-once")
    insert = "INSERT INTO auth_user (id, username, password, is_superuser, is_staff, is_active,"
    insert += " first_name, last_name, email, date_joined) VALUES (%s, %s, '', false, false,"
    insert += " true, '', '', '', now()) RETURNING id"
    with pytest.raises(IntegrityError), transaction.atomic():
        fetch_one(insert, [user.pk, "duplicate-id"])
    assert fetch_one(insert, [user.pk + 1000, "fresh"]) == (user.pk + 1000,)
