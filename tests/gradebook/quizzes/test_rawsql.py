"""Hand-written hot-path SQL gives the same objects the ORM gives, on PostgreSQL and SQLite.

CI runs this module on PostgreSQL and again, marked ``embedded``, on SQLite, whose text dates,
integer booleans and JSON strings need the converters ``Loader`` applies.
"""

import datetime
import decimal

import pytest
from django.db import connection
from django.db.models.signals import post_init, post_save, pre_init, pre_save
from django.utils import timezone

from gradebook import hotpath
from gradebook.courses.models import Course, Item, Lesson
from gradebook.hotpath import Inserter, Loader
from gradebook.quizzes import access
from gradebook.quizzes.models import Attempt
from tests.gradebook.quizzes.factories import item

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _field_values(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_access_query_builds_the_item_course_and_lesson_the_orm_builds(course, enrolled):
    it = item(course, "images-time")
    Lesson.objects.filter(pk=it.lesson_id).update(
        tags=["noise", "한국어"], retired_at=None, estimated_minutes=7
    )
    Course.objects.filter(pk=course.pk).update(meta={"level": 2})

    fast = access.item_for_student(enrolled, it.pk)
    orm = Item.objects.select_related("course", "lesson").get(pk=it.pk)

    assert _field_values(fast) == _field_values(orm)
    assert _field_values(fast.course) == _field_values(orm.course)
    assert _field_values(fast.lesson) == _field_values(orm.lesson)
    # The types the rest of the code relies on, whatever the database returned.
    assert isinstance(fast.spec, dict) and fast.spec["params"]["n"]["range"] == [2, 12]
    assert isinstance(fast.points, decimal.Decimal)
    assert isinstance(fast.created_at, datetime.datetime) and timezone.is_aware(fast.created_at)
    assert fast.lesson.tags == ["noise", "한국어"] and fast.course.meta == {"level": 2}
    assert not fast._state.adding and fast._state.db == "default"


def test_the_loaded_item_has_its_relations_without_another_query(course, enrolled):
    it = item(course, "ce-loss")
    fast = access.item_for_student(enrolled, it.pk)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert fast.course.slug == course.slug and fast.lesson.title and fast.spec
    assert len(queries) == 0
    # The lesson's content is deferred: read on first access, like QuerySet.defer().
    assert "body" in fast.lesson.get_deferred_fields()
    with CaptureQueriesContext(connection) as queries:
        assert fast.lesson.body == Lesson.objects.get(pk=it.lesson_id).body
    assert len(queries) == 2  # the deferred load, and the comparison's own query


def test_deferring_a_field_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="no field"):
        Loader(Lesson, "l", defer=("nope",))


@pytest.mark.parametrize("bad", ["0", "-1", str(2**70), "1e3", "", None])
def test_an_impossible_item_id_is_404_not_a_database_error(enrolled, bad):
    from django.http import Http404

    with pytest.raises(Http404):
        access.item_for_student(enrolled, bad)


def test_loader_reads_a_null_and_a_missing_row(course):
    lessons = Loader(Lesson, "l")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {lessons.columns} FROM {lessons.table} l ORDER BY l.id")
        rows = cursor.fetchall()
    loaded = [lessons.load(row) for row in rows]
    expected = Lesson.objects.order_by("id").values_list("id", flat=True)
    assert [x.pk for x in loaded] == list(expected)
    assert all(x.retired_at is None for x in loaded)


def test_inserter_stores_what_the_orm_would_and_reads_back_the_same(course, enrolled):
    it = item(course, "ce-loss")
    made = Inserter(Attempt).create(
        student=enrolled,
        item=it,
        revision=it.current_revision(),
        number=1,
        idempotency_key="k-1",
        response={"a": "-ln(0.3)", "b": ["x", None]},
        params={"n": 3},
        status="graded",
        auto_score=1.0,
        score=0.5,
        correct=True,
        feedback="Right ✓",
        result={"outcome": "correct", "score": 1.0},
    )
    assert made.pk and not made._state.adding
    stored = Attempt.objects.get(pk=made.pk)
    assert _field_values(stored) == _field_values(made)
    assert stored.response == {"a": "-ln(0.3)", "b": ["x", None]}
    assert stored.score_source == "auto" and stored.interpreted_as == ""  # model defaults
    assert timezone.is_aware(stored.submitted_at)


def test_inserter_raises_the_integrity_error_the_orm_raises(course, enrolled):
    from django.db import IntegrityError, transaction

    it = item(course, "ce-loss")
    fields = dict(student=enrolled, item=it, revision=it.current_revision(), number=1)
    Inserter(Attempt).create(**fields, response="1", status="graded")
    with pytest.raises(IntegrityError), transaction.atomic():
        Inserter(Attempt).create(**fields, response="2", status="graded")
    assert Attempt.objects.filter(student=enrolled).count() == 1


def test_nothing_listens_to_attempt_signals_the_inserter_skips():
    """``Inserter`` sends no model signals; this fails as soon as something starts listening."""
    for signal in (pre_init, post_init, pre_save, post_save):
        assert not signal.has_listeners(Attempt), signal


def _prepared_statements_on(conn):
    with conn.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_access_query_is_prepared_once_and_reused_on_postgresql(course, enrolled):
    it = item(course, "ce-loss")
    access.item_for_student(enrolled, it.pk)
    access.item_for_student(enrolled, it.pk)
    hotpath._LOADED.clear()
    access.item_for_student(enrolled, it.pk)
    # The version check and the full load, each prepared once.
    prepared = [s for s in _prepared_statements_on(connection) if "courses_enrollment" in s]
    assert len(prepared) == 2, prepared


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_prepared_statements_can_be_switched_off_for_a_pooler(course, enrolled):
    """``DB_PREPARED_STATEMENTS=0`` (settings: prepare_threshold None) prepares nothing."""
    it = item(course, "ce-loss")
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        assert access.item_for_student(enrolled, it.pk).pk == it.pk
        assert _prepared_statements_on(connection) == []
    finally:
        raw.prepare_threshold = before


def test_hot_statements_still_show_in_captured_queries(course, enrolled):
    from django.test.utils import CaptureQueriesContext

    it = item(course, "ce-loss")
    hotpath._LOADED.clear()
    with CaptureQueriesContext(connection) as queries:
        access.item_for_student(enrolled, it.pk)
    assert queries and all("courses_enrollment" in q["sql"] for q in queries)
    assert str(it.pk) in queries[-1]["sql"]  # composed with its params
