"""API tokens: the hand-written lookup answers as DRF's ORM lookup does, in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


#: DRF answers a failed authentication with the first authentication class's status: session
#: authentication comes first (the lesson pages call the API with their session), so 403.
REFUSED = 403


def _client(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_valid_token_authenticates_its_user(alice):
    token = Token.objects.create(user=alice)
    response = _client(f"Token {token.key}").get("/api/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_the_token_and_user_are_the_objects_the_orm_builds(alice, rf):
    from gradebook.accounts.authentication import TokenAuthentication

    token = Token.objects.create(user=alice)
    user, auth = TokenAuthentication().authenticate_credentials(token.key)
    orm = Token.objects.select_related("user").get(key=token.key)
    assert _fields(auth) == _fields(orm)
    assert _fields(user) == _fields(orm.user)
    assert auth.user is user and not user._state.adding


def test_authentication_costs_one_query(alice):
    from gradebook.accounts.authentication import TokenAuthentication

    token = Token.objects.create(user=alice)
    with CaptureQueriesContext(connection) as queries:
        TokenAuthentication().authenticate_credentials(token.key)
    assert len(queries) == 1 and "authtoken_token" in queries[0]["sql"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token 0123456789abcdef0123456789abcdef01234567", "Invalid token."),
        ("Token ", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Token abc\x00def", "Invalid token."),
        ("Token " + "x" * 500, "Invalid token."),
    ],
)
def test_a_bad_token_is_refused_with_a_message_that_says_why(alice, header, message):
    Token.objects.create(user=alice)
    response = _client(header).get("/api/me/")
    assert response.status_code == REFUSED
    assert response.json()["error"]["message"] == message


def test_an_inactive_users_token_is_refused(alice):
    token = Token.objects.create(user=alice)
    alice.is_active = False
    alice.save()
    response = _client(f"Token {token.key}").get("/api/me/")
    assert response.status_code == REFUSED
    assert response.json()["error"]["message"] == "User inactive or deleted."


def test_a_deleted_token_stops_working_at_once(alice):
    token = Token.objects.create(user=alice)
    client = _client(f"Token {token.key}")
    assert client.get("/api/me/").status_code == 200
    token.delete()
    assert client.get("/api/me/").status_code == REFUSED


def test_the_schema_still_declares_token_auth(client, alice):
    client.force_login(alice)  # the schema needs a login
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    schemes = response.json()["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
