"""Django's PostgreSQL backend, with two things the answer hot path needs.

**A health check that needs no round trip when idle.** With ``CONN_HEALTH_CHECKS`` Django
asks a persistent connection ``SELECT 1`` before the first query of every request: one more
round trip per request, on the PostgreSQL side too. A connection that sat idle between
requests has nothing to read unless the server ended it (a restart or
``pg_terminate_backend`` sends a FATAL message, then closes the socket), so a poll of the
socket with no timeout tells a healthy idle connection from a dead one. Only when the socket
has something to say does this fall back to Django's ``SELECT 1``. What neither check can
see, a peer that vanished without closing the socket, fails the request's first query as
before; Django then drops the connection at the end of the request.

**Prepared statements on reused cursors** (``prepared_cursor``), for the hand-written
statements of ``gradebook.hotpath``: each is prepared once per connection, and runs on a
psycopg cursor kept for it, which also keeps the adapters psycopg set up for it (building a
cursor and its adapters cost about 40 us, a third of a round trip's client CPU).
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import is_psycopg3

#: Hot statements are few; a connection keeps at most this many cursors for them.
_CURSORS_MAX = 64

if is_psycopg3:

    class PreparedCursor(base.ServerBindingCursor):
        """Binds parameters on the server and prepares each statement on first use.

        psycopg keeps the prepared statements per connection (at most ``prepared_max``,
        least recently used dropped), so a persistent connection plans each hot statement
        once. With ``prepare_threshold`` None (``DB_PREPARED_STATEMENTS=0``, for a pooler
        that cannot carry them) psycopg runs them unprepared.
        """

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepared_cursors: dict[str, Any] = {}

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self._prepared_cursors = {}
        return super().get_new_connection(conn_params)

    def prepared_cursor(self, sql: str) -> Any:
        """The raw psycopg cursor that runs ``sql`` on this connection, made on first use.

        The caller wraps it (``make_cursor``) and must not close it. Only for statements run
        one at a time on this thread's connection, as every Django connection is.
        """
        cursor = self._prepared_cursors.get(sql)
        if cursor is None or cursor.closed or cursor.connection is not self.connection:
            if len(self._prepared_cursors) >= _CURSORS_MAX:
                self._prepared_cursors.clear()
            cursor = self._prepared_cursors[sql] = PreparedCursor(self.connection)
        return cursor

    def is_usable(self) -> bool:
        raw = self.connection
        if raw is None:
            return False
        if not is_psycopg3:
            return bool(super().is_usable())
        if raw.closed or raw.broken:
            return False
        from psycopg import pq

        if raw.info.transaction_status == pq.TransactionStatus.UNKNOWN:
            return False
        try:
            poller = select.poll()  # not select(): file descriptors above 1023 are allowed
            poller.register(raw.fileno(), select.POLLIN | select.POLLPRI)
            readable = bool(poller.poll(0))
        except (OSError, ValueError):
            return False
        return True if not readable else bool(super().is_usable())
