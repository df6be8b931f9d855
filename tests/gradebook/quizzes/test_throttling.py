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


# --- The cache is down: answers still go in -------------------------------------------------

#: A Redis that is not there: nothing listens on port 1, so connecting is refused at once.
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_submit_and_interpret_go_through_when_the_cache_is_down(api_client, course, caplog):
    from gradebook.quizzes.models import Attempt

    it = item(course, "ce-loss")
    throttling._LAST_WARNING[0] = -1e9
    with override_settings(CACHES=DEAD_REDIS), caplog.at_level("WARNING", "gradebook.throttling"):
        submitted = api_client.post(
            reverse("api-submit", args=[it.pk]), {"response": "-ln(0.3)"}, format="json"
        )
        interpreted = api_client.post(
            reverse("api-interpret", args=[it.pk]), {"text": "ln(10/3)"}, format="json"
        )
    assert submitted.status_code == 201, submitted.content
    assert interpreted.status_code == 200, interpreted.content
    assert Attempt.objects.filter(item=it).count() == 1
    warnings = [r for r in caplog.records if "cache is unreachable" in r.getMessage()]
    assert len(warnings) == 1  # logged once a minute, not once per request


def test_the_page_form_shares_the_apis_limit(client, enrolled, course, monkeypatch):
    from gradebook.quizzes.models import Attempt

    monkeypatch.setattr(api.SubmitThrottle, "THROTTLE_RATES", {"submit": "3/min"})
    monkeypatch.setattr(api.SubmitThrottle, "timer", lambda self: 6000.0 + 30)
    client.force_login(enrolled)
    it = item(course, "ce-loss")
    url = reverse("item-submit", args=[it.pk])
    codes = [client.post(url, {"response": str(n)}).status_code for n in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    assert Attempt.objects.filter(item=it).count() == 3
    refused = client.post(url, {"response": "9"})
    assert refused["Retry-After"] == "30"
    assert "Wait 30 seconds" in refused.content.decode()
    # ...and the API counts in the same window: the student has no allowance left there.
    through_api = APIClient()
    through_api.force_authenticate(enrolled)
    answer = through_api.post(reverse("api-submit", args=[it.pk]), {"response": "1"})
    assert answer.status_code == 429
