"""The admin: staff upload a bank, see the dry-run plan, then apply it; items are read-only."""

from __future__ import annotations

import json

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


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks, eager_celery):
    """Run whatever the block publishes on commit, as a worker would, right after it."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def test_the_upload_request_only_queues_a_job(client, ada):
    client.force_login(ada)
    before = snapshot()
    response = upload(client, SMALL_BANK)  # no worker runs here: the check is not in the request
    record = BankImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:courses_bankimport_change", args=[record.pk])
    assert record.status == "queued" and record.files.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page and "<progress" in page
    state = client.get(reverse("admin:courses_bankimport_state", args=[record.pk])).json()
    assert state["status"] == "queued" and state["active"] is True
    assert snapshot()["item"] == before["item"]


def test_the_check_shows_the_preview_and_nothing_is_written_until_applied(client, ada, run_jobs):
    client.force_login(ada)
    before = snapshot()
    response = run_jobs(lambda: upload(client, SMALL_BANK))
    record = BankImport.objects.get()
    assert record.status == "ready"
    assert record.progress_done == record.progress_total == 3
    page = client.get(response["Location"]).content.decode()
    assert "What this import will do" in page and "two-plus-two" in page
    assert "BankImport object" not in page
    assert "Apply this import" in page
    assert snapshot()["item"] == before["item"] == []

    applied = run_jobs(
        lambda: client.post(reverse("admin:courses_bankimport_apply", args=[record.pk]))
    )
    assert applied.status_code == 302
    record.refresh_from_db()
    assert record.status == "succeeded" and record.succeeded and not record.dry_run
    assert record.created_by == ada and record.filenames == ["bank.yaml"]
    assert Item.objects.filter(course__slug="demo").count() == 3
    assert record.files.count() == 0  # the upload is not kept once written
    page = client.get(reverse("admin:courses_bankimport_change", args=[record.pk])).content
    assert "What this import did" in page.decode()
    # Applying twice does nothing more, and says so.
    again = client.post(reverse("admin:courses_bankimport_apply", args=[record.pk]), follow=True)
    assert "not waiting for a confirmation" in again.content.decode()
    assert Item.objects.count() == 3 and BankImport.objects.count() == 1


def test_every_problem_of_every_file_is_shown_at_once(client, ada, run_jobs):
    client.force_login(ada)
    bad_type = SMALL_BANK.replace("type: numeric\n        text: What is 2 + 2?", "type: essay\n"
                                  "        text: What is 2 + 2?")  # fmt: skip
    bad_too = bad_type.replace("id: steps", "id: Bad Id").replace("course: demo", "course: demo2")
    unreadable = "course: x\nlessons: [unclosed\n"
    run_jobs(
        lambda: client.post(
            reverse(UPLOAD),
            {
                "files": [
                    SimpleUploadedFile("a.yaml", bad_type.encode()),
                    SimpleUploadedFile("b.yaml", bad_too.encode()),
                    SimpleUploadedFile("c.yaml", unreadable.encode()),
                ]
            },
        )
    )
    record = BankImport.objects.get()
    assert record.status == "failed" and record.error_count == 4
    page = client.get(reverse("admin:courses_bankimport_change", args=[record.pk])).content
    page = page.decode()
    assert "4 problems; nothing was imported" in page
    for where in ("a.yaml:10", "b.yaml:10", "b.yaml:23", "c.yaml:3"):
        assert where in page, where
    assert "unknown item type" in page and "not a valid id" in page and "malformed YAML" in page
    assert not Course.objects.exists()


def test_a_huge_number_is_a_message_with_its_place_not_a_500(client, ada, run_jobs):
    client.force_login(ada)
    huge = SMALL_BANK.replace("answer: 4", "answer: " + "4" * 5000)
    response = run_jobs(lambda: upload(client, huge))
    assert response.status_code == 302
    record = BankImport.objects.get()
    assert record.status == "failed"
    [error] = record.errors
    assert (error["line"], error["column"]) == (12, 17)
    assert "numbers are limited to 100" in error["message"]


def test_a_changed_key_shows_before_after_and_the_answers_it_touches(client, ada, run_jobs, alice):
    from gradebook.quizzes.services import submit_answer

    import_bank_files([SAMPLE_BANK], by=ada)
    course = Course.objects.get()
    course.enroll(alice)
    item = Item.objects.get(key="latent-compression-ratio")
    submit_answer(student=alice, item=item, response="10")
    submit_answer(student=alice, item=item, response="12")
    text = SAMPLE_BANK.read_text(encoding="utf-8")
    old = "answer: (512*512*3)/(64*64*4)"
    assert old in text
    changed = text.replace(old, "answer: ln(10/3)", 1)
    client.force_login(ada)
    run_jobs(lambda: upload(client, changed, name="ai-generation-basics.yaml"))
    record = BankImport.objects.exclude(pk=BankImport.objects.order_by("pk").first().pk).get()
    assert record.status == "ready"
    [change] = record.preview["courses"][0]["key_changes"]
    assert change["key"] == "latent-compression-ratio" and change["answers"] == 2
    assert {"field": "answer", "before": json.dumps(item.spec["answer"]),
            "after": '"ln(10/3)"'} in change["fields"]  # fmt: skip
    url = reverse("admin:courses_bankimport_change", args=[record.pk])
    page = client.get(url).content.decode()
    assert "2 stored answers affected" in page and "ln(10/3)" in page
    assert "preview a regrade" not in page  # only once the new key is in

    run_jobs(lambda: client.post(reverse("admin:courses_bankimport_apply", args=[record.pk])))
    record.refresh_from_db()
    assert record.status == "succeeded"
    page = client.get(url).content.decode()
    assert "2 stored answers affected" in page and "preview a regrade" in page
    assert reverse("grades:regrade_start", args=[course.slug, item.key]) in page


def test_a_checked_import_can_be_discarded(client, ada, run_jobs):
    client.force_login(ada)
    run_jobs(lambda: upload(client, SMALL_BANK))
    record = BankImport.objects.get()
    client.post(reverse("admin:courses_bankimport_discard", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == "discarded" and record.files.count() == 0
    assert (
        client.post(reverse("admin:courses_bankimport_apply", args=[record.pk])).status_code == 302
    )
    assert not Course.objects.exists()


def test_a_duplicate_delivery_does_nothing(client, ada, run_jobs):
    from gradebook.courses.bank.jobs import import_job_check

    client.force_login(ada)
    run_jobs(lambda: upload(client, SMALL_BANK))
    record = BankImport.objects.get()
    assert import_job_check(record.pk) is None  # already checked
    record.refresh_from_db()
    assert record.status == "ready" and record.attempts == 1


def test_a_non_utf8_upload_is_refused(client, ada, run_jobs):
    client.force_login(ada)
    run_jobs(lambda: upload(client, b"course: d\xe9mo\n"))
    assert "not UTF-8" in BankImport.objects.get().errors[0]["message"]


def test_an_oversized_upload_is_refused_before_parsing(client, ada, monkeypatch):
    monkeypatch.setattr("gradebook.courses.admin.MAX_BANK_BYTES", 10)
    client.force_login(ada)
    response = upload(client, SMALL_BANK)
    assert "bank files are limited to" in response.content.decode()
    assert not BankImport.objects.exists()


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
