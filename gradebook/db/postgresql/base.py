"""Django's PostgreSQL backend with a health check that needs no round trip when idle.

With ``CONN_HEALTH_CHECKS`` Django asks a persistent connection ``SELECT 1`` before the first
query of every request: one more round trip per request, on the PostgreSQL side too. A
connection that sat idle between requests has nothing to read unless the server ended it (a
restart or ``pg_terminate_backend`` sends a FATAL message, then closes the socket), so a poll
of the socket with no timeout tells a healthy idle connection from a dead one. Only when
the socket has something to say does this fall back to Django's ``SELECT 1``.

What neither check can see, a peer that vanished without closing the socket, fails the
request's first query as before; Django then drops the connection at the end of the request.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import is_psycopg3


class DatabaseWrapper(base.DatabaseWrapper):
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
