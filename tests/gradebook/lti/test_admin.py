"""Registering a platform in the admin: the form, the URLs to paste into the LMS, key rotation."""

from __future__ import annotations

import pytest
from lti_tool.models import Key, LtiRegistration

pytestmark = pytest.mark.django_db


def test_the_registration_form_shows_the_urls_to_paste_into_the_lms(client, ada, registered):
    client.force_login(ada)

    add = client.get("/admin/lti_tool/ltiregistration/add/")
    change = client.get(f"/admin/lti_tool/ltiregistration/{registered.pk}/change/")

    assert add.status_code == change.status_code == 200
    text = change.content.decode()
    for url in (
        f"http://testserver/lti/login/{registered.uuid}/",
        "http://testserver/lti/launch/",
        "http://testserver/lti/jwks/",
    ):
        assert url in text
    assert "What this platform may do" in text and "frame origins" in text.lower()


def test_an_administrator_registers_a_platform_with_its_deployment_and_courses(client, ada, course):
    client.force_login(ada)
    response = client.post(
        "/admin/lti_tool/ltiregistration/add/",
        {
            "name": "Moodle",
            "uuid": "8f2d8c1e-1b7f-4b8e-9d55-2f3c1a0b9e11",
            "issuer": "https://moodle.example.org",
            "client_id": "abc123",
            "audience": "",
            "auth_url": "https://moodle.example.org/mod/lti/auth.php",
            "token_url": "https://moodle.example.org/mod/lti/token.php",
            "keyset_url": "https://moodle.example.org/mod/lti/certs.php",
            "is_active": "on",
            "public_key": "",
            "private_key": "",
            "deployments-TOTAL_FORMS": "1",
            "deployments-INITIAL_FORMS": "0",
            "deployments-0-deployment_id": "1",
            "deployments-0-is_active": "on",
            "access-TOTAL_FORMS": "1",
            "access-INITIAL_FORMS": "0",
            "access-0-courses": [str(course.pk)],
            "access-0-frame_origins": "https://moodle.example.org",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    registration = LtiRegistration.objects.get(client_id="abc123")
    assert registration.deployments.get().is_active
    assert list(registration.access.courses.all()) == [course]


def test_the_rotate_action_makes_a_new_signing_key(client, ada):
    client.force_login(ada)
    client.get("/lti/jwks/")  # the first key
    first = Key.objects.get()

    response = client.post(
        "/admin/lti_tool/key/", {"action": "rotate", "_selected_action": [first.pk]}
    )

    assert response.status_code == 302
    assert Key.objects.active().count() == 2
    assert len(client.get("/lti/jwks/").json()["keys"]) == 2
