"""Log in, log out, change a password, join a course by code (pages and API)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.accounts.services import normalise_join_code

pytestmark = pytest.mark.django_db


def test_a_student_logs_in_and_lands_on_the_dashboard(client, alice):
    res = client.post(reverse("login"), {"username": "alice", "password": "alice-pass-123"})
    assert res.status_code == 302 and res["Location"] == reverse("dashboard")
    assert "Level 0" in client.get(reverse("dashboard")).content.decode()


def test_a_wrong_password_says_so(client, alice):
    res = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert res.status_code == 200 and 'role="alert"' in res.content.decode()


def test_log_out_is_a_post(client, alice):
    client.force_login(alice)
    res = client.post(reverse("logout"))
    assert res.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_the_password_can_be_changed(client, alice):
    client.force_login(alice)
    res = client.post(
        reverse("password_change"),
        {
            "old_password": "alice-pass-123",
            "new_password1": "a-new-pass-456",
            "new_password2": "a-new-pass-456",
        },
    )
    assert res.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-new-pass-456")


def test_the_join_code_forgives_case_spaces_and_dashes():
    assert normalise_join_code(" abcd-efgh ") == "ABCDEFGH"


def test_joining_with_a_code_enrols_and_opens_the_course(client, alice, course):
    client.force_login(alice)
    code = course.join_code.lower()[:4] + "-" + course.join_code.lower()[4:]
    res = client.post(reverse("join"), {"code": code})
    assert res.status_code == 302 and res["Location"] == reverse("course", args=["ai-gen"])
    assert course.enrollments.filter(student=alice).exists()


def test_a_wrong_code_says_what_is_wrong(client, alice, course):
    client.force_login(alice)
    res = client.post(reverse("join"), {"code": "NOPE1234"})
    assert res.status_code == 400
    assert "NOPE1234" in res.content.decode()
    assert not course.enrollments.exists()


def test_the_api_joins_by_code(alice, course):
    client = APIClient()
    client.force_authenticate(alice)
    first = client.post(reverse("api-join"), {"code": course.join_code}, format="json")
    again = client.post(reverse("api-join"), {"code": course.join_code}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["slug"] == "ai-gen"
    bad = client.post(reverse("api-join"), {"code": "X"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "code"


def test_me_tells_the_role(tara):
    client = APIClient()
    client.force_authenticate(tara)
    body = client.get(reverse("api-me")).json()
    assert body["username"] == "tara" and body["is_teacher"] is True and body["is_admin"] is False


def test_the_dashboard_shows_level_xp_and_achievements(client, enrolled, course):
    client.force_login(enrolled)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Spark" in html and "0/200 XP to next level" in html
    assert "/19 achievements" in html or "achievements" in html
    assert "How AI generates text and images" in html


def test_a_teacher_sees_the_way_to_the_teaching_area(client, tara):
    client.force_login(tara)
    assert "/teach/" in client.get(reverse("dashboard")).content.decode()


def test_the_language_switch_sets_korean(client, alice):
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})
    html = client.get(reverse("dashboard")).content.decode()
    assert "레벨 0" in html


def test_the_password_pages_render(client, alice):
    client.force_login(alice)
    assert client.get(reverse("password_change")).status_code == 200
    assert "Password changed" in client.get(reverse("password_change_done")).content.decode()


def test_the_join_page_prefills_a_shared_code(client, alice):
    client.force_login(alice)
    html = client.get(reverse("join") + "?code=ABCD2345").content.decode()
    assert 'value="ABCD2345"' in html
