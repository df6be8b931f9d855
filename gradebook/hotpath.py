"""The answer path's SQL, in one place: every statement an answer runs, and the caches beside them.

Each answer (``quizzes.services.submit_answer``) runs the same few statements: the item
query that is also the access check, the progress lock with the per-answer facts read under
it, the attempt INSERT and the XP award's write. They are hand-written (``gradebook.rawsql``)
because building them through the ORM cost more CPU than running them (figures in
docs/benchmarks.md, "Answer submission under load"). They live here so that the modules
that decide things read as rules: ``quizzes.access`` says who may answer what,
``quizzes.services`` says what an answer does, ``progress.services`` says what it earns, and
none of them holds SQL or a per-process cache.

Every function here does what its name says and decides nothing: a refusal, a 404 or the
choice whether to take the lock is the caller's.
"""

from __future__ import annotations

import copy
import datetime
import functools
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Sum
from django.utils import timezone

from gradebook.courses.models import Course, Enrollment, Item, ItemRevision, Lesson
from gradebook.progress.models import StudentProgress, XPAward
from gradebook.quizzes.models import Attempt, AttemptStatus
from gradebook.rawsql import Inserter, Loader, fetch_one, first_rows

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

#: The attempt INSERT runs on every answer: built once (see gradebook.rawsql).
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
