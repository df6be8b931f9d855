"""Per-user rate limits that cost one cache round trip.

DRF's ``UserRateThrottle`` keeps a list of request times per user: a GET, a pickle and a SET
on every request, two round trips that were a tenth of the submit endpoint's CPU (docs/
benchmarks.md, "Answer submission under load"). A fixed-window counter needs one INCR (and an
EXPIRE on the window's first request). The price is the usual one of fixed windows: a student
can fit up to twice the rate into the seconds around a window's edge, which is fine for a
limit meant to stop scripts, not to meter them.

Rates, scopes and ``THROTTLE_RATES`` work as in DRF (``"60/min"``), so settings and tests
treat these throttles like DRF's own.

A limiter must never take the answer path down with it: when the cache cannot be reached the
request is let through and a warning is logged (at most once a minute per process), rather
than a 500 for every answer while Redis restarts. Stopping scripts can wait a minute; a class
that cannot hand in answers cannot.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle

#: cache client -> a redis client on its pool. Django's RedisCache builds a new client object
#: on every call, which cost as much as the round trip itself.
_CLIENTS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _redis_client(key: str) -> Any:
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    if get_client is None:
        return None
    client = _CLIENTS.get(backend)
    if client is None:
        client = _CLIENTS[backend] = get_client(key, write=True)
    return client


#: Each thread's own connection from a client's pool, by client: see ``_incr``.
_THREAD = threading.local()


def _incr(client: Any, key: str) -> int:
    """``INCR key`` on a connection this thread keeps out of the client's pool.

    redis-py's ``client.incr`` takes a connection from the pool and gives it back on every
    call, with locks and a retry wrapper: half of the 110 us of CPU an INCR cost. Sending
    on a kept connection does the same round trip; a connection the server dropped is
    reconnected once, as the client's own retry would.
    """
    kept = getattr(_THREAD, "connections", None)
    if kept is None:
        kept = _THREAD.connections = weakref.WeakKeyDictionary()
    connection = kept.get(client)
    if connection is None:
        connection = kept[client] = client.connection_pool.make_connection()
    from redis.exceptions import ConnectionError, TimeoutError

    for last in (False, True):
        try:
            connection.send_command("INCR", key)
            return int(connection.read_response())
        except (ConnectionError, TimeoutError):
            connection.disconnect()
            if last:
                raise
    raise AssertionError("unreachable")


def _hit(key: str, ttl: int) -> int:
    """Count one request under ``key`` (kept ``ttl`` seconds); returns the count so far."""
    full = cache.make_key(key)
    client = _redis_client(full)
    if client is not None:
        # One INCR per request; the window's first request also sets the expiry. Should a
        # process die between the two, the key (its window long past) is merely never freed.
        count = _incr(client, full)
        if count == 1:
            client.expire(full, ttl)
        return count
    cache.add(key, 0, ttl)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ttl)
        return 1


logger = logging.getLogger(__name__)
#: When the last "cache unreachable" warning was logged (monotonic seconds), per process.
_LAST_WARNING = [-1e9]
WARN_EVERY_S = 60.0


def _warn_cache_down(scope: str, exc: BaseException) -> None:
    now = time.monotonic()
    if now - _LAST_WARNING[0] >= WARN_EVERY_S:
        _LAST_WARNING[0] = now
        logger.warning(
            "rate limit %r not applied: the cache is unreachable (%s: %s); letting requests "
            "through until it is back",
            scope,
            type(exc).__name__,
            exc,
        )


class UserWindowThrottle(UserRateThrottle):
    """``UserRateThrottle`` counted in fixed windows of the rate's period."""

    retry_after: float | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        try:
            count = _hit(f"{self.key}:{window}", int(self.duration) + 1)
        except Exception as exc:  # any cache backend's outage (redis, memcached, sockets)
            _warn_cache_down(self.scope, exc)
            return True
        if count <= self.num_requests:
            return True
        self.retry_after = (window + 1) * self.duration - now
        return False

    def wait(self) -> float | None:
        return self.retry_after


def throttle_page(request: Any, throttle_class: type[UserWindowThrottle]) -> float | None:
    """Apply an API throttle to a plain Django view: ``None`` when the request may go on,
    else the seconds to wait. The form and the API then share one limit per student."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    return throttle.wait() or 1.0
