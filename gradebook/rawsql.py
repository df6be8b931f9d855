"""Hand-written SELECTs for the answer hot path, returning model instances as the ORM would.

Building a query through the ORM costs more CPU than running it: on the submit endpoint the
item access query spent 0.8 ms compiling and 0.9 ms turning rows into objects, against 0.2 ms
for PostgreSQL to answer it (figures in docs/benchmarks.md, "Answer submission under load").
The few queries that run on every answer are therefore written by hand, and their rows are
turned into instances here with the same converters the ORM applies, so JSON fields come back
decoded and SQLite's text dates come back as dates. Column lists are generated from the
models, so a migration that adds a field cannot leave these queries behind.

The same statements run as PostgreSQL prepared statements (``hot_cursor``, on the project's
backend ``gradebook.db.postgresql``): the join that
finds an answerable item costs 0.42 ms to plan and 0.09 ms to run, and it runs on every answer.
The ORM's own queries keep Django's client-side binding.

Use it only where a profile says so; everywhere else the ORM is clearer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Model

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
    only for a model nothing listens to (tests/test_rawsql.py checks that).
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
