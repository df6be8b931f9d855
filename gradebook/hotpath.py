"""The answer path's SQL, in one place: every statement an answer runs, how it runs, and the
caches beside them.

Each answer (``quizzes.services.submit_answer``) runs the same few statements: the item
query that is also the access check, the progress lock with the per-answer facts read under
it, the attempt INSERT and the XP award's write. They live here so that the modules that
decide things read as rules: ``quizzes.access`` says who may answer what,
``quizzes.services`` says what an answer does, ``progress.services`` says what it earns, and
none of them holds SQL or a per-process cache.

Every function here does what its name says and decides nothing: a refusal, a 404 or the
choice whether to take the lock is the caller's.

Why hand-written: building a query through the ORM costs more CPU than running it. On the
submit endpoint the item access query spent 0.8 ms compiling and 0.9 ms turning rows into
objects, against 0.2 ms for PostgreSQL to answer it (figures in docs/benchmarks.md, "Answer
submission under load"). Rows are turned into instances by ``Loader`` with the same
converters the ORM applies, so JSON fields come back decoded and SQLite's text dates come
back as dates; column lists are generated from the models, so a migration that adds a field
cannot leave these queries behind. The statements run as PostgreSQL prepared statements
(``hot_cursor``, on the project's backend ``gradebook.db.postgresql``): the join that finds
an answerable item costs 0.42 ms to plan and 0.09 ms to run. The ORM's own queries keep
Django's client-side binding. Use this machinery only where a profile says so; everywhere
else the ORM is clearer.
"""

from __future__ import annotations

import copy
import datetime
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Model, Sum
from django.utils import timezone

from gradebook.courses.models import Course, Enrollment, Item, ItemRevision, Lesson
from gradebook.progress.models import StudentProgress, XPAward
from gradebook.quizzes.models import Attempt, AttemptStatus

# --- How a hand-written statement runs ------------------------------------------------------------

M = TypeVar("M", bound=Model)

_Converter = Callable[[Any, Any, Any], Any]


@contextmanager
def hot_cursor(sql: str, connection: Any = None) -> Iterator[Any]:
    """A cursor to run the hand-written statement ``sql``: prepared on PostgreSQL.

    On our PostgreSQL backend the statement runs on a psycopg cursor the connection keeps
    for it (``gradebook.db.postgresql``). It is wrapped as Django wraps its own cursors, so
    the statements still show in ``connection.queries``, ``CaptureQueriesContext`` and
    ``execute_wrapper``. Other databases get their ordinary cursor.
    """
    connection = connection or connections[DEFAULT_DB_ALIAS]
    prepared = getattr(connection, "prepared_cursor", None)
    if prepared is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    # What connection.cursor() does before handing out a cursor, with the kept cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = prepared(sql)
    if connection.queries_logged:
        yield _PreparedDebugWrapper(raw, connection)
    else:
        yield connection.make_cursor(raw)  # not closed: the connection keeps it


def fetch_one(sql: str, params: Sequence[Any], connection: Any = None) -> tuple[Any, ...] | None:
    """The first row ``sql`` returns (None when it returns none)."""
    with hot_cursor(sql, connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def first_rows(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[tuple[Any, ...] | None]:
    """The first row of each statement (None where it has none), run in order.

    On PostgreSQL they go in one round trip (psycopg's pipeline mode), with a transaction's
    BEGIN in front when one is open: each statement still runs after the one before it, so a
    lock the first takes holds for the rest. Elsewhere they run one after another.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    distinct = len({sql for sql, _ in statements}) == len(statements)
    if len(statements) < 2 or not distinct or not hasattr(connection, "prepared_cursor"):
        return [fetch_one(sql, params, connection) for sql, params in statements]
    with ExitStack() as stack:
        cursors = [stack.enter_context(hot_cursor(sql, connection)) for sql, _ in statements]
        # An error surfaces when the pipeline syncs, outside any one cursor's execute().
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
        return [cursor.fetchone() for cursor in cursors]


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs a prepared statement as Django logs server-side binding: composed with its params.

    psycopg keeps no client-side query text for a prepared execution, so Django's usual
    ``last_executed_query`` would log None.
    """

    def execute(self, sql: str, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return super(CursorDebugWrapper, self).execute(sql, params)


class Loader:
    """Selects the concrete columns of ``model`` under ``alias`` and builds instances.

    >>> items = Loader(Item, "i")
    >>> sql = f"SELECT {items.columns} FROM {items.table} i WHERE i.id = %s"
    >>> item = items.load(row[: items.width])
    """

    def __init__(self, model: type[M], alias: str, *, defer: tuple[str, ...] = ()) -> None:
        self.model = model
        self.alias = alias
        # Deferred fields load on first access, one query, as with QuerySet.defer().
        unknown = set(defer) - {f.name for f in model._meta.concrete_fields}
        if unknown:
            raise ValueError(f"{model.__name__} has no field(s) {sorted(unknown)} to defer")
        self.fields = [f for f in model._meta.concrete_fields if f.name not in defer]
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._converters: dict[int, list[tuple[int, list[_Converter], Any]]] = {}

    @functools.cached_property
    def table(self) -> str:
        return connections[DEFAULT_DB_ALIAS].ops.quote_name(self.model._meta.db_table)

    @functools.cached_property
    def columns(self) -> str:
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def _converters_for(self, connection: Any) -> list[tuple[int, list[_Converter], Any]]:
        # Bound to one connection object (SQLite's converters read its settings); connections
        # live per thread and per process, so this stays small.
        found = self._converters.get(id(connection))
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                col = field.get_col(self.model._meta.db_table)
                funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if funcs:
                    found.append((index, funcs, col))
            if len(self._converters) > 64:
                self._converters.clear()
            self._converters[id(connection)] = found
        return found

    def load(self, values: Sequence[Any], connection: Any = None) -> Any:
        """An instance from one row slice of ``width`` values, in ``columns`` order."""
        # The real per-thread connection, not django.db.connection's proxy (one id for all).
        connection = connection or connections[DEFAULT_DB_ALIAS]
        row = list(values)
        for index, funcs, col in self._converters_for(connection):
            value = row[index]
            for func in funcs:
                value = func(value, col, connection)
            row[index] = value
        return self.model.from_db(connection.alias, self.attnames, row)


class Inserter:
    """``Model.objects.create`` for one hot table, without building the INSERT each time.

    Values go through each field's ``pre_save`` and ``get_db_prep_save`` as in the ORM, so
    defaults, ``auto_now`` and JSON adaptation behave the same. No signals are sent: use it
    only for a model nothing listens to (tests/gradebook/quizzes/test_rawsql.py checks that).
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        meta = model._meta
        self.pk = meta.pk
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
        self._sql: dict[str, str] = {}

    def _statement(self, connection: Any) -> str:
        sql = self._sql.get(connection.vendor)
        if sql is None:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in self.fields)
            marks = ", ".join(["%s"] * len(self.fields))
            table = quote(self.model._meta.db_table)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            if connection.features.can_return_columns_from_insert:
                sql += f" RETURNING {quote(self.pk.column)}"
            self._sql[connection.vendor] = sql
        return sql

    def create(self, **values: Any) -> Any:
        connection = connections[DEFAULT_DB_ALIAS]
        instance = self.model(**values)
        params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in self.fields]
        sql = self._statement(connection)
        with hot_cursor(sql, connection) as cursor:
            cursor.execute(sql, params)
            if connection.features.can_return_columns_from_insert:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(
                    cursor, self.model._meta.db_table, self.pk.column
                )
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias
        return instance


# --- The answerable item ----------------------------------------------------------------------

_ITEMS = Loader(Item, "i")
# An answer needs the course's slug and the lesson's title, not their content: the long text
# and JSON columns stay deferred (read on first access), which halves what this query returns.
_COURSES = Loader(Course, "c", defer=("description", "meta"))
_LESSONS = Loader(
    Lesson,
    "l",
    defer=(
        "summary",
        "body",
        "key_facts",
        "takeaways",
        "vocabulary",
        "common_mistakes",
        "sources",
    ),
)

#: Which version of the item, course and lesson rows PostgreSQL holds: any UPDATE, through
#: the ORM, a bulk update or by hand, writes a new row version, with the writing transaction's
#: id (``xmin``) and at a new place (``ctid``); the pair tells versions apart even when one
#: transaction updates a row twice.
_STAMP = "i.xmin::text || i.ctid::text, c.xmin::text || c.ctid::text, l.xmin::text || l.ctid::text"


@functools.cache
def _item_sql(select: str) -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    enrollment = quote(Enrollment._meta.db_table)
    # Identifiers come from model metadata; the two values are params.
    joins = (
        f"{_ITEMS.table} i JOIN {_COURSES.table} c ON c.id = i.course_id "
        f"JOIN {_LESSONS.table} l ON l.id = i.lesson_id"
    )
    enrolled = f"SELECT 1 FROM {enrollment} e WHERE e.course_id = i.course_id"  # noqa: S608
    enrolled += " AND e.student_id = %s"
    where = "i.id = %s AND i.retired_at IS NULL AND l.retired_at IS NULL"
    return f"SELECT {select} FROM {joins} WHERE {where} AND EXISTS ({enrolled})"  # noqa: S608


def _columns(*, stamp: bool) -> str:
    columns = f"{_ITEMS.columns}, {_COURSES.columns}, {_LESSONS.columns}"
    return f"{columns}, {_STAMP}" if stamp else columns


#: item id -> (row versions, the item with its course and lesson), on PostgreSQL: see
#: ``answerable_item``. Per process; bounded, since banks can be large.
_LOADED: dict[int, tuple[tuple[str, ...], Item]] = {}
_LOADED_MAX = 5000


def answerable_item(student_id: int, item_id: int) -> Item | None:
    """Item ``item_id`` with its course and lesson, if it is active, in an active lesson, in a
    course student ``student_id`` is enrolled in; else None.

    One query on every call. On PostgreSQL that query reads only which row versions
    (``xmin`` and ``ctid``) of the item, its course and its lesson it found, and the objects
    built the last time those versions were read are handed out again, as a copy: building
    them was 80% of the work. An edited row has a new version, so an edited key is graded at
    once. Elsewhere (SQLite), or when a version differs, the item, course and lesson come
    from one hand-written join, as ``select_related`` would build them.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    stamped = connection.vendor == "postgresql"
    if stamped:
        stamp = fetch_one(_item_sql(_STAMP), [item_id, student_id], connection)
        if stamp is None:
            return None
        loaded = _LOADED.get(item_id)
        if loaded is not None and loaded[0] == stamp:
            return copy.copy(loaded[1])
    row = fetch_one(_item_sql(_columns(stamp=stamped)), [item_id, student_id], connection)
    if row is None:
        return None
    course_end = _ITEMS.width + _COURSES.width
    lesson_end = course_end + _LESSONS.width
    item = _ITEMS.load(row[: _ITEMS.width], connection)
    item.course = _COURSES.load(row[_ITEMS.width : course_end], connection)
    item.lesson = _LESSONS.load(row[course_end:lesson_end], connection)
    if stamped:
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[item_id] = (tuple(row[lesson_end:]), item)
        return copy.copy(item)
    return item


#: (item id, revision number) -> ItemRevision id. Revisions are never rewritten, so this
#: cache cannot go stale; it saves a query on every answer.
_REVISION_IDS: dict[tuple[int, int], int] = {}


def revision_id(item: Item) -> int:
    """The id of the ``ItemRevision`` an answer to ``item`` is graded against."""
    cached = _REVISION_IDS.get((item.pk, item.revision))
    if cached is not None:
        return cached
    found = (
        ItemRevision.objects.filter(item=item, number=item.revision)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        # An item always has its current revision (Item.set_spec); one created by hand may not.
        found = ItemRevision.objects.create(item=item, number=item.revision, spec=item.spec).pk
    if len(_REVISION_IDS) > 50_000:
        _REVISION_IDS.clear()
    _REVISION_IDS[(item.pk, item.revision)] = found
    return found


# --- The per-answer facts and the progress lock -------------------------------------------------


@dataclass(frozen=True)
class AnswerFacts:
    """What the student's earlier attempts at the item add up to, read in one statement."""

    number: int  # the next attempt number
    replay_id: int | None  # the attempt an idempotency key already made
    had_correct: bool
    had_pending: bool
    award_id: int | None  # the item's XP award row (None: no row yet)
    award_xp: int  # what the item has earned so far
    last_active_on: datetime.date | None  # the student's last day with an answer, if any


# Hand-written on purpose: this runs on every answer, and building the same aggregate through
# the ORM cost ~11x the CPU (3.9 ms vs 0.35 ms measured on the shared machine; see the
# "Answer submission under load" section of docs/benchmarks.md). Each subquery is answered
# from one index (the attempt-number unique index, the partial correct/pending indexes, the
# idempotency-key index, the XP award's unique index), so the cost does not grow with the
# student's earlier tries. The item's XP award comes along so that awarding XP needs no query
# of its own; it is read after the progress lock, under which every XP write happens.
_FACTS_SQL = """
SELECT (SELECT MAX(number) FROM {attempts} WHERE student_id = %s AND item_id = %s),
       EXISTS (SELECT 1 FROM {attempts} WHERE student_id = %s AND item_id = %s AND correct),
       EXISTS (SELECT 1 FROM {attempts} WHERE student_id = %s AND item_id = %s
               AND status = '{pending}'),
       (SELECT id FROM {attempts} WHERE student_id = %s AND idempotency_key = %s),
       (SELECT id FROM {awards} WHERE student_id = %s AND item_id = %s),
       (SELECT xp FROM {awards} WHERE student_id = %s AND item_id = %s),
       (SELECT last_active_on FROM {progress} WHERE student_id = %s)
"""


@functools.cache
def _facts_sql() -> str:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return _FACTS_SQL.format(
        attempts=quote(Attempt._meta.db_table),
        awards=quote(XPAward._meta.db_table),
        progress=quote(StudentProgress._meta.db_table),
        # A literal, as in the partial index's predicate, so that both databases use it.
        pending=AttemptStatus.PENDING_REVIEW.value,
    )


def _facts_statement(student_id: int, item_id: int, key: str | None) -> tuple[str, list[Any]]:
    student_item = [student_id, item_id]
    # In the order of the subqueries: number, correct, pending, replayed key, award id and xp,
    # last active day.
    return _facts_sql(), [*student_item * 3, student_id, key, *student_item * 2, student_id]


def _facts_from(row: Any) -> AnswerFacts:
    latest, correct, pending, dup, award_id, award_xp, last_active_on = row
    if isinstance(last_active_on, str):  # SQLite returns dates as text
        last_active_on = datetime.date.fromisoformat(last_active_on)
    return AnswerFacts(
        number=(latest or 0) + 1,
        replay_id=dup,
        had_correct=bool(correct),
        had_pending=bool(pending),
        award_id=award_id,
        award_xp=award_xp or 0,
        last_active_on=last_active_on,
    )


def answer_facts(student_id: int, item_id: int, key: str | None) -> AnswerFacts:
    """The facts as committed now, without the lock (for an answer that needs none)."""
    [row] = first_rows([_facts_statement(student_id, item_id, key)])
    return _facts_from(row)


_PROGRESS = Loader(StudentProgress, "p")
_XP = Loader(XPAward, "x")


@functools.cache
def _select(loader: Loader, where: str, *, lock: bool = False) -> str:
    """A hand-written SELECT of ``loader``'s model."""
    connection = connections[DEFAULT_DB_ALIAS]
    # Identifiers come from model metadata and ``where`` from this module; values are params.
    sql = f"SELECT {loader.columns} FROM {loader.table} {loader.alias} WHERE {where}"  # noqa: S608
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql


def _progress_lock_statement(student_id: int) -> tuple[str, list[Any]]:
    return _select(_PROGRESS, "p.student_id = %s", lock=True), [student_id]


def lock_progress(student_id: int) -> StudentProgress:
    """The student's progress row, locked until the transaction ends (one writer per student).

    Created on first use with the XP the student already has, so it always equals the sum of
    their ``XPAward`` rows.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    sql, params = _progress_lock_statement(student_id)
    found = fetch_one(sql, params, connection)
    if found is not None:
        return _PROGRESS.load(found, connection)
    row, created = StudentProgress.objects.select_for_update().get_or_create(student_id=student_id)
    if created:
        total = XPAward.objects.filter(student_id=student_id).aggregate(t=Sum("xp"))["t"]
        row.xp = int(total or 0)
        if row.xp:
            row.save(update_fields=["xp", "updated_at"])
    return row


def lock_progress_and_read_facts(
    student_id: int, item_id: int, key: str | None
) -> tuple[StudentProgress, AnswerFacts]:
    """Lock the student's progress and read the answer's facts under that lock: one round trip.

    The facts are read by the statement after the lock, so they see every answer committed
    before the lock was granted. A student's first answer ever has no progress row to lock
    yet: it is created (and locked), then the facts are read again under it.
    """
    facts = _facts_statement(student_id, item_id, key)
    lock_row, facts_row = first_rows([_progress_lock_statement(student_id), facts])
    if lock_row is None:
        progress = lock_progress(student_id)
        [facts_row] = first_rows([facts])
    else:
        progress = _PROGRESS.load(lock_row, connections[DEFAULT_DB_ALIAS])
    return progress, _facts_from(facts_row)


# --- The writes ---------------------------------------------------------------------------------

#: The attempt INSERT runs on every answer: built once.
_ATTEMPTS = Inserter(Attempt)


def insert_attempt(**values: Any) -> Attempt:
    """``Attempt.objects.create(**values)`` without building the INSERT each time (no signals)."""
    return _ATTEMPTS.create(**values)


def xp_award(student_id: int, item_id: int) -> XPAward | None:
    """The student's XP award row for the item, if there is one."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql = _select(_XP, "x.student_id = %s AND x.item_id = %s")
    row = fetch_one(sql, [student_id, item_id], connection)
    return None if row is None else _XP.load(row, connection)


def raise_xp_award(
    *, award_id: int | None, student_id: int, item: Item, xp: int, attempt_id: int
) -> None:
    """Write the item's new, higher XP: a new award row, or an update of the known one."""
    if award_id is None:
        XPAward.objects.create(
            student_id=student_id,
            item=item,
            course_id=item.course_id,
            xp=xp,
            attempt_id=attempt_id,
        )
    else:
        XPAward.objects.filter(pk=award_id).update(
            xp=xp, attempt_id=attempt_id, updated_at=timezone.now()
        )
