"""The admin: staff upload a bank, see the dry-run plan, then apply it; items are read-only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gradebook.courses.bank import import_bank_files
from gradebook.courses.models import BankImport, Course, Item

from .conftest import SAMPLE_BANK, SMALL_BANK, snapshot

pytestmark = pytest.mark.django_db

UPLOAD = "admin:courses_bankimport_upload"


def upload(client, content: str | bytes, name: str = "bank.yaml", **extra):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        reverse(UPLOAD), {"files": SimpleUploadedFile(name, raw), **extra}, follow=False
    )


def test_a_student_cannot_open_the_upload_page(client, alice):
    client.force_login(alice)
    response = client.get(reverse(UPLOAD))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_import_permission_are_refused(client, django_user_model):
    staff = django_user_model.objects.create_user("sam", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(UPLOAD)).status_code == 403


def test_upload_shows_the_plan_and_writes_nothing_until_applied(client, ada):
    client.force_login(ada)
    before = snapshot()
    response = upload(client, SMALL_BANK)
    assert response.status_code == 200
    page = response.content.decode()
    assert "course demo (create)" in page and "+ item two-plus-two in basics" in page
    assert snapshot() == before
    token = response.context["token"]

    applied = client.post(reverse(UPLOAD), {"token": token})
    record = BankImport.objects.get()
    assert applied.status_code == 302
    assert applied["Location"] == reverse("admin:courses_bankimport_change", args=[record.pk])
    assert record.created_by == ada and record.filenames == ["bank.yaml"]
    assert Item.objects.filter(course__slug="demo").count() == 3
    # A token is good for one apply only.
    again = client.post(reverse(UPLOAD), {"token": token})
    assert again.status_code == 302 and Item.objects.count() == 3


def test_a_bad_upload_shows_file_line_and_field(client, ada):
    client.force_login(ada)
    bad = SMALL_BANK.replace("type: numeric\n        text: What is 2 + 2?", "type: essay\n"
                             "        text: What is 2 + 2?")  # fmt: skip
    response = upload(client, bad)
    page = response.content.decode()
    assert "nothing was imported" in page
    assert "bank.yaml:10: lessons[0].items[0].type: unknown item type" in page
    assert "token" not in response.context
    assert not Course.objects.exists()


def test_a_non_utf8_upload_is_refused(client, ada):
    client.force_login(ada)
    response = upload(client, b"course: d\xe9mo\n")
    assert "not UTF-8" in response.content.decode()


def test_an_oversized_upload_is_refused_before_parsing(client, ada, monkeypatch):
    monkeypatch.setattr("gradebook.courses.admin.MAX_BANK_BYTES", 10)
    client.force_login(ada)
    response = upload(client, SMALL_BANK)
    assert "bank files are limited to" in response.content.decode()


def test_the_admin_pages_for_courses_items_and_imports_render(client, ada):
    import_bank_files([SAMPLE_BANK], by=ada)
    client.force_login(ada)
    course = Course.objects.get()
    item = Item.objects.get(key="ce-loss")
    for url in [
        reverse("admin:courses_course_changelist"),
        reverse("admin:courses_course_change", args=[course.pk]),
        reverse("admin:courses_lesson_changelist"),
        reverse("admin:courses_item_changelist"),
        reverse("admin:courses_item_change", args=[item.pk]),
        reverse("admin:courses_itemrevision_changelist"),
        reverse("admin:courses_bankimport_changelist"),
        reverse("admin:courses_bankimport_change", args=[BankImport.objects.get().pk]),
        reverse("admin:courses_enrollment_changelist"),
    ]:
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:courses_item_change", args=[item.pk])).content.decode()
    assert "&quot;natural_log&quot;" in page or '"natural_log"' in page
    # Read-only: no save button, and a POST changes nothing.
    assert 'name="_save"' not in page
    assert client.post(reverse("admin:courses_item_change", args=[item.pk]), {}).status_code == 403
