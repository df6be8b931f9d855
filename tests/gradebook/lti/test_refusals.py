"""Launches the tool must refuse, each with a page that says what happened and what to do.

Each bad token is made by the in-suite platform (or by tampering with one it signed) and goes
through the real checks: nothing here replaces a signature check or a lookup.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from lti_tool.models import LtiDeployment

from tests.gradebook.lti.platform import INSTRUCTOR, MENTOR, Browser, rsa_key

pytestmark = pytest.mark.django_db

LESSON = "lesson:ai-gen/text-vs-images"


@pytest.fixture
def link(platform, registered):
    platform.person("alice")
    return platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)


def refusal(response, code):
    text = response.content.decode()
    assert f'data-refusal="{code}"' in text, text[:2000]
    return text


def no_accounts():
    return not get_user_model().objects.filter(lti_users__isnull=False).exists()


def test_a_replayed_launch_is_refused(browser, platform, link):
    form = browser.authorize("alice", platform.resource_message("alice", link))
    assert browser.post_launch(form).status_code == 302

    again = browser.post_launch(form)

    assert again.status_code == 403
    assert "already used once" in refusal(again, "replayed")


def test_a_token_for_another_audience_is_refused(browser, platform, link):
    hint = platform.resource_message("alice", link, claims={"aud": "some-other-tool"})

    response = browser.launch("alice", hint)

    assert response.status_code == 403
    text = refusal(response, "registration")
    assert "some-other-tool" in text and "does not exist here" in text
    assert no_accounts()


def test_an_expired_token_is_refused(browser, platform, link):
    now = int(time.time())
    hint = platform.resource_message("alice", link, claims={"iat": now - 900, "exp": now - 600})

    response = browser.launch("alice", hint)

    assert response.status_code == 403
    assert "has expired" in refusal(response, "expired")
    assert no_accounts()


def test_an_unknown_deployment_is_refused_and_recorded_for_the_administrator(
    browser, platform, link, registered
):
    hint = platform.resource_message(
        "alice",
        link,
        claims={"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "dep-unknown"},
    )

    response = browser.launch("alice", hint)

    assert response.status_code == 403
    assert "dep-unknown" in refusal(response, "deployment")
    recorded = LtiDeployment.objects.get(registration=registered, deployment_id="dep-unknown")
    assert not recorded.is_active
    assert no_accounts()


def _tampered(token: str, **changes) -> str:
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_forged_role_breaks_the_signature_and_is_refused(browser, platform, link):
    form = browser.authorize("alice", platform.resource_message("alice", link))
    form["id_token"] = _tampered(
        form["id_token"], **{"https://purl.imsglobal.org/spec/lti/claim/roles": [INSTRUCTOR]}
    )

    response = browser.post_launch(form)

    assert response.status_code == 403
    assert "signature does not match" in refusal(response, "signature")
    assert no_accounts()


def _claims(token: str) -> tuple[dict, dict]:
    header, body, _signature = token.split(".")

    def decode(part: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    return decode(header), decode(body)


def test_a_role_signed_with_a_key_the_platform_never_published_is_refused(browser, platform, link):
    """An attacker's own key: claiming the platform's key id, or with a key id of its own
    (which makes the tool fetch the platform's key set again, in case it rotated)."""
    attacker = rsa_key("attacker")
    for kid in ("platform's", "attacker's"):
        form = browser.authorize("alice", platform.resource_message("alice", link))
        header, body = _claims(form["id_token"])
        body["https://purl.imsglobal.org/spec/lti/claim/roles"] = [INSTRUCTOR]
        form["id_token"] = jwt.encode(
            body,
            attacker.export_to_pem(private_key=True, password=None),
            algorithm="RS256",
            headers={"kid": header["kid"] if kid == "platform's" else attacker["kid"]},
        )

        response = browser.post_launch(form)

        assert response.status_code == 403, kid
        refusal(response, "signature")
    assert no_accounts()


def test_a_role_without_access_is_refused(browser, platform, registered):
    platform.person("mo", role=MENTOR)
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)

    response = browser.launch("mo", platform.resource_message("mo", link))

    assert response.status_code == 403
    assert "gives no access" in refusal(response, "role")


def test_a_learner_cannot_open_the_content_picker(browser, platform, link):
    response = browser.launch("alice", platform.deep_link_message("alice"))

    assert response.status_code == 403
    refusal(response, "deep_link_role")
    assert no_accounts()


def test_a_launch_whose_state_cookie_did_not_come_back_explains_blocked_cookies(
    platform, link, client
):
    form = Browser(client, platform).authorize("alice", platform.resource_message("alice", link))

    response = Client().post("/lti/launch/", form)  # another browser: no state cookie

    assert response.status_code == 403
    assert "blocks the cookies" in refusal(response, "session")


def test_a_login_from_an_unregistered_platform_is_refused(client, platform):
    response = client.get(
        "/lti/login/",
        {"iss": "https://lms.unknown.example", "login_hint": "x", "cookies": "checked"},
    )

    assert response.status_code == 403
    assert "lms.unknown.example" in refusal(response, "registration")


def test_the_login_address_opened_by_hand_says_what_it_is_for(client):
    response = client.get("/lti/login/")

    assert response.status_code == 400
    refusal(response, "login")


def test_the_launch_address_opened_by_hand_is_refused_without_a_server_error(client, db):
    response = client.post("/lti/launch/", {"state": "x", "id_token": "not-a-jwt"})

    assert response.status_code in (400, 403)
    assert 'data-refusal="' in response.content.decode()
