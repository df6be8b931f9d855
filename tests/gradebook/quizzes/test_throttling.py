"""The fixed-window rate limit: counted per user in the shared cache, one window at a time."""

import os

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook import throttling
from gradebook.quizzes import api
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = os.environ.get("CACHE_URL", "")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    "backend",
    [
        "locmem",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(
                not REDIS_URL.startswith("redis://"), reason="CACHE_URL is not Redis here"
            ),
        ),
    ],
)
def test_hits_count_up_per_key_and_expire(backend):
    settings = (
        LOCMEM
        if backend == "locmem"
        else {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        }
    )
    with override_settings(CACHES=settings):
        cache.clear()
        assert [throttling._hit("t:a", 5) for _ in range(3)] == [1, 2, 3]
        assert throttling._hit("t:b", 5) == 1
        assert cache.get("t:a") == 3  # readable through the cache API too
        if backend == "redis":
            client = throttling._redis_client(cache.make_and_validate_key("t:a"))
            assert 0 < client.ttl(cache.make_and_validate_key("t:a")) <= 5
        cache.clear()


def test_over_the_limit_is_429_with_retry_after_until_the_next_window(
    api_client, course, monkeypatch
):
    monkeypatch.setattr(api.SubmitThrottle, "THROTTLE_RATES", {"submit": "2/min"})
    now = [6000.0 + 50]  # 50 s into a minute window
    monkeypatch.setattr(api.SubmitThrottle, "timer", lambda self: now[0])
    url = reverse("api-submit", args=[item(course, "ce-loss").pk])

    codes = [api_client.post(url, {"response": "1"}, format="json") for _ in range(3)]
    assert [r.status_code for r in codes] == [201, 201, 429]
    refused = codes[-1]
    assert refused.json()["error"]["code"] == "throttled"
    assert refused["Retry-After"] == "10"

    now[0] = 6000.0 + 61  # the next window
    assert api_client.post(url, {"response": "1"}, format="json").status_code == 201


def test_the_limit_is_per_student(api_client, course, bob, monkeypatch):
    monkeypatch.setattr(api.SubmitThrottle, "THROTTLE_RATES", {"submit": "1/min"})
    course.enroll(bob)
    url = reverse("api-submit", args=[item(course, "ce-loss").pk])
    assert api_client.post(url, {"response": "1"}, format="json").status_code == 201
    assert api_client.post(url, {"response": "1"}, format="json").status_code == 429
    other = APIClient()
    other.force_authenticate(bob)
    assert other.post(url, {"response": "1"}, format="json").status_code == 201


@pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="CACHE_URL is not Redis here")
def test_a_kept_connection_the_server_dropped_is_reconnected():
    settings = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    with override_settings(CACHES=settings):
        cache.clear()
        assert throttling._hit("t:drop", 5) == 1
        client = throttling._redis_client(cache.make_and_validate_key("t:drop"))
        kept = throttling._THREAD.connections[client]
        kept.send_command("CLIENT", "ID")
        client.client_kill_filter(_id=kept.read_response())
        assert throttling._hit("t:drop", 5) == 2
        cache.clear()
