"""Login protection, password rules and API token lifetime.

Mallory guesses passwords; Alice and Bob are students who log in, script the API, log out and
change their passwords.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LIMIT = 5

LOGIN_PATHS = {
    "login page": ("/accounts/login/", {}),
    "admin": ("/admin/login/", {}),
    "token": ("/api/auth/token/", {}),
}


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes


def _try(client, path, username, password, ip="203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(response) -> bool:
    if response.request["PATH_INFO"].startswith("/api/"):
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302  # the login page and the admin redirect on success


@pytest.mark.parametrize("where", LOGIN_PATHS)
def test_after_the_limit_even_the_right_password_is_refused_with_429(client, ada, where):
    path, _ = LOGIN_PATHS[where]
    for _ in range(LIMIT - 1):
        refused = _try(client, path, "ada", "wrong-guess")
        assert refused.status_code in (200, 400)  # the form again, with its error
    assert _try(client, path, "ada", "wrong-guess").status_code == 429  # the limit-th guess
    locked = _try(client, path, "ada", "ada-pass-123")
    assert locked.status_code == 429
    assert 800 <= int(locked["Retry-After"]) <= 900
    assert not _logged_in(locked)
    if path.startswith("/api/"):
        assert locked.json()["error"]["code"] == "locked_out"
    else:
        assert "Too many wrong passwords" in locked.content.decode()


def test_a_lockout_is_per_username_and_address(client, alice, bob):
    for _ in range(LIMIT):
        _try(client, "/accounts/login/", "alice", "nope")
    assert _try(client, "/accounts/login/", "alice", "alice-pass-123").status_code == 429
    # Bob, behind the same school NAT, is not locked out by Mallory's guesses at Alice.
    assert _logged_in(_try(client, "/accounts/login/", "bob", "bob-pass-123"))
    # Alice from home is not locked out either.
    assert _logged_in(
        _try(client, "/accounts/login/", "alice", "alice-pass-123", ip="198.51.100.4")
    )


def test_the_lockout_ends_after_the_cool_off(client, alice):
    for _ in range(LIMIT):
        _try(client, "/accounts/login/", "alice", "nope")
    assert _try(client, "/accounts/login/", "alice", "alice-pass-123").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _logged_in(_try(client, "/accounts/login/", "alice", "alice-pass-123"))


def test_a_success_resets_the_count(client, alice):
    for _ in range(LIMIT - 1):
        _try(client, "/accounts/login/", "alice", "nope")
    assert _logged_in(_try(client, "/accounts/login/", "alice", "alice-pass-123"))
    client.logout()
    for _ in range(LIMIT - 1):
        _try(client, "/accounts/login/", "alice", "nope")
    assert _logged_in(_try(client, "/accounts/login/", "alice", "alice-pass-123"))


def test_the_forwarded_address_counts_only_behind_a_declared_proxy(client, alice, settings):
    for index in range(LIMIT):
        # Without NUM_PROXIES a forged header changes nothing: every guess counts.
        client.post(
            "/accounts/login/",
            {"username": "alice", "password": "nope"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{index}",
        )
    assert _try(client, "/accounts/login/", "alice", "alice-pass-123").status_code == 429

    settings.NUM_PROXIES = 1
    from gradebook.accounts.security import client_ip

    class Request:
        META = {"REMOTE_ADDR": "10.9.9.9", "HTTP_X_FORWARDED_FOR": "198.51.100.4, 192.0.2.1"}

    assert client_ip(Request) == "192.0.2.1"  # what the one trusted proxy saw


# --- Passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["student3student3", "student3", "12345678901", "password123", "short"],
)
def test_weak_passwords_are_refused(django_user_model, password):
    student3 = django_user_model.objects.create_user("student3", "s3@example.com", "x")
    with pytest.raises(ValidationError):
        validate_password(password, user=student3)


@pytest.mark.parametrize(
    ("username", "password"),
    [("student3", "violet-kettle-harbour"), ("student", "student-demo-2026")],
)
def test_a_good_password_passes(django_user_model, username, password):
    # The demo accounts' passwords contain the username, with enough of their own besides.
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "x")
    validate_password(password, user=user)


def test_the_password_page_refuses_the_username_twice(client, django_user_model):
    student3 = django_user_model.objects.create_user("student3", "s3@example.com", "Old-pass-9x!")
    client.force_login(student3)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "Old-pass-9x!",
            "new_password1": "student3student3",
            "new_password2": "student3student3",
        },
    )
    assert response.status_code == 200  # the form again
    student3.refresh_from_db()
    assert student3.check_password("Old-pass-9x!")


# --- API tokens -----------------------------------------------------------------------------


def _token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_comes_with_its_expiry(client, alice, settings):
    settings.API_TOKEN_TTL_S = 3600
    before = timezone.now()
    body = _try(client, "/api/auth/token/", "alice", "alice-pass-123").json()
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=59) < expires - before <= timedelta(hours=1, seconds=5)
    assert _token_client(body["token"]).get("/api/me/").status_code == 200


def test_an_expired_token_is_refused_and_a_new_one_issued(client, alice, settings):
    settings.API_TOKEN_TTL_S = 3600
    old = _try(client, "/api/auth/token/", "alice", "alice-pass-123").json()["token"]
    Token.objects.filter(key=old).update(created=timezone.now() - timedelta(hours=2))
    refused = _token_client(old).get("/api/me/")
    assert refused.status_code in (401, 403)
    assert "expired" in refused.json()["error"]["message"]
    new = _try(client, "/api/auth/token/", "alice", "alice-pass-123").json()["token"]
    assert new != old
    assert _token_client(new).get("/api/me/").status_code == 200


def test_logging_out_revokes_the_users_tokens(client, alice):
    key = _try(client, "/api/auth/token/", "alice", "alice-pass-123").json()["token"]
    client.force_login(alice)
    client.post("/accounts/logout/")
    assert _token_client(key).get("/api/me/").status_code in (401, 403)
    assert not Token.objects.filter(user=alice).exists()


def test_changing_the_password_revokes_the_users_tokens(client, alice, bob):
    key = Token.objects.create(user=alice).key
    bobs = Token.objects.create(user=bob).key
    client.force_login(alice)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "alice-pass-123",
            "new_password1": "violet-kettle-harbour",
            "new_password2": "violet-kettle-harbour",
        },
    )
    assert response.status_code == 302
    assert _token_client(key).get("/api/me/").status_code in (401, 403)
    assert _token_client(bobs).get("/api/me/").status_code == 200


def test_set_password_anywhere_revokes_tokens_but_other_saves_do_not(alice):
    Token.objects.create(user=alice)
    alice.first_name = "Alice"
    alice.save()
    alice.last_login = timezone.now()
    alice.save(update_fields=["last_login"])
    assert Token.objects.filter(user=alice).exists()
    alice.set_password("violet-kettle-harbour")
    alice.save()
    assert not Token.objects.filter(user=alice).exists()


def test_delete_revokes_the_callers_token(alice):
    key = Token.objects.create(user=alice).key
    client = _token_client(key)
    assert client.delete("/api/auth/token/").status_code == 204
    assert client.get("/api/me/").status_code in (401, 403)


# --- Sessions --------------------------------------------------------------------------------


def test_a_session_lasts_a_school_day_not_two_weeks(client, alice, settings):
    response = _try(client, "/accounts/login/", "alice", "alice-pass-123")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == 12 * 3600
