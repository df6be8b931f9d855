"""The tool's keys (JWKS, rotation) and its pages inside the LMS's iframe (framing, cookies)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import Client
from lti_tool.models import Key

from gradebook.lti.middleware import frame_policy
from gradebook.lti.models import Placement
from tests.gradebook.lti.platform import LEARNER
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db

LESSON = "lesson:ai-gen/text-vs-images"


def test_the_jwks_publishes_the_public_half_of_each_active_key(client):
    keys = client.get("/lti/jwks/").json()["keys"]

    assert len(keys) == 1
    assert {"kty", "kid", "n", "e", "alg", "use"} <= set(keys[0])
    assert keys[0]["alg"] == "RS256" and "d" not in keys[0]  # no private part


def test_after_a_rotation_scores_are_signed_with_the_new_key_and_the_old_one_stays_published(
    browser, platform, registered, course
):
    from gradebook.lti import scores
    from gradebook.quizzes.services import submit_answer

    person = platform.person("alice", role=LEARNER)
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser.launch("alice", platform.resource_message("alice", link))
    old_kid = platform.tool_jwks["keys"][0]["kid"]

    call_command("rotate_keys")  # keys younger than 7 days stay published

    published = {k["kid"] for k in Client().get("/lti/jwks/").json()["keys"]}
    assert len(published) == 2 and old_kid in published
    # The platform has not seen the new keys yet: it refuses the tool's token request...
    user = Placement.objects.get().course.enrollments.get().student
    submit_answer(student=user, item=item(course, "ce-loss"), response="1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])
    with pytest.raises(scores.RetryableSendError, match="401"):
        scores.score_send(sync_id)
    # ...until it fetches the JWKS again, as platforms do for an unknown key id.
    platform.tool_jwks = Client().get("/lti/jwks/").json()
    assert scores.score_send(sync_id) == "sent"
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0
    # A rotation that retires keys of any age leaves only the key it made.
    call_command("rotate_keys", "--deactivate-after", "0")
    [left] = Client().get("/lti/jwks/").json()["keys"]
    assert left["kid"] not in published and Key.objects.active().count() == 1


def test_pages_in_an_lti_session_may_be_framed_by_the_platform_only(
    browser, platform, registered, client
):
    platform.person("alice", role=LEARNER)
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser.launch("alice", platform.resource_message("alice", link))

    page = browser.client.get("/learn/ai-gen/text-vs-images/")

    assert "X-Frame-Options" not in page
    policy = [part.strip() for part in page["Content-Security-Policy"].split(";")]
    assert f"frame-ancestors 'self' {platform.base}" in policy
    assert len([p for p in policy if p.startswith("frame-ancestors")]) == 1
    # Outside an LTI session the site still refuses every frame.
    other = Client()
    other.force_login(page.wsgi_request.user)
    elsewhere = other.get("/learn/ai-gen/text-vs-images/")
    assert elsewhere["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in elsewhere["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("", "frame-ancestors 'self' https://lms.example"),
        (
            "default-src 'self'; frame-ancestors 'none'; img-src data:",
            "default-src 'self'; img-src data:; frame-ancestors 'self' https://lms.example",
        ),
        ("script-src 'self'", "script-src 'self'; frame-ancestors 'self' https://lms.example"),
    ],
)
def test_the_frame_policy_replaces_only_frame_ancestors(policy, expected):
    assert frame_policy(policy, ["https://lms.example"]) == expected


def test_a_refusal_and_the_cookie_check_show_inside_any_lms_frame(client, db):
    refused = client.get("/lti/login/")
    check = client.get("/lti/login/", {"iss": "https://lms.example", "login_hint": "x"})

    for response in (refused, check):
        assert "X-Frame-Options" not in response
        assert response["Content-Security-Policy"].endswith("frame-ancestors *")


def _settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={
            "DJANGO_SETTINGS_MODULE": "gradebook.settings",
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_under_https_the_session_and_csrf_cookies_work_inside_the_lms_iframe():
    done = _settings_in_subprocess(
        {"PRODUCTION": "1"},
        "settings.SESSION_COOKIE_SAMESITE, settings.CSRF_COOKIE_SAMESITE,"
        " settings.SESSION_COOKIE_SECURE",
    )
    assert done.stdout.strip() == "None None True", done.stderr[-2000:]


def test_iframe_cookies_without_https_stop_the_start_with_a_reason():
    done = _settings_in_subprocess({"LTI_IFRAME_COOKIES": "1"}, "1")
    assert done.returncode != 0
    assert "LTI_IFRAME_COOKIES=1 needs secure cookies" in done.stderr


@pytest.fixture
def https_settings(settings):
    """The cookie settings PRODUCTION=1 gives (checked in a subprocess above)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SAMESITE = settings.CSRF_COOKIE_SAMESITE = "None"
    return settings


def test_under_https_every_cookie_of_a_launch_works_inside_a_cross_site_frame(
    https_settings, platform, registered, client
):
    from tests.gradebook.lti.platform import Browser

    platform.tool_base = "https://testserver"
    platform.person("alice", role=LEARNER)
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser = Browser(client, platform, secure=True)

    response = browser.launch("alice", platform.resource_message("alice", link))

    assert response.status_code == 302, response.content[:2000]
    set_at_login = browser.login_response.cookies
    for name in ("lti1p3-session-id", *[n for n in set_at_login if n.startswith("lti1p3-state")]):
        assert set_at_login[name]["secure"] and set_at_login[name]["samesite"] == "None", name
    session = response.cookies["sessionid"]
    assert session["secure"] and session["samesite"] == "None"
    assert browser.client.get("/learn/ai-gen/text-vs-images/", secure=True).status_code == 200


def test_under_https_a_launch_whose_cookies_were_blocked_gets_the_cookie_page(
    https_settings, platform, registered, client
):
    from tests.gradebook.lti.platform import Browser

    platform.tool_base = "https://testserver"
    platform.person("alice", role=LEARNER)
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    form = Browser(client, platform, secure=True).authorize(
        "alice", platform.resource_message("alice", link)
    )

    response = Client().post("/lti/launch/", form, secure=True)  # no cookie came back

    assert response.status_code == 403
    assert 'data-refusal="session"' in response.content.decode()


def test_behind_a_tls_proxy_the_launch_url_is_https():
    done = _settings_in_subprocess(
        {"TRUST_X_FORWARDED_PROTO": "1"}, "settings.SECURE_PROXY_SSL_HEADER"
    )
    assert done.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", done.stderr[-2000:]
