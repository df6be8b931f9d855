"""create_demo_accounts: idempotent, linked to the sample course, prints how to log in."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from gradebook.accounts.roles import is_admin, is_teacher
from gradebook.courses.bank import import_bank_files
from gradebook.courses.models import Course

from .conftest import SAMPLE_BANK

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("create_demo_accounts", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.embedded
def test_it_creates_a_teacher_a_student_and_an_admin_for_the_sample_course():
    import_bank_files([SAMPLE_BANK])
    out = run()
    course = Course.objects.get(slug="ai-generation-basics")
    teacher = authenticate(username="teacher", password="teacher-demo-2026")
    student = authenticate(username="student", password="student-demo-2026")
    admin = authenticate(username="admin", password="admin-demo-2026")
    assert teacher and student and admin
    assert course.is_taught_by(teacher) and is_teacher(teacher)
    assert course.enrollments.filter(student=student).exists() and not is_teacher(student)
    assert admin.is_superuser and is_admin(admin)
    assert "http://127.0.0.1:8000/accounts/login/" in out
    assert "password teacher-demo-2026" in out and "password student-demo-2026" in out


def test_running_it_twice_changes_nothing_and_restores_the_passwords():
    import_bank_files([SAMPLE_BANK])
    run()
    student = get_user_model().objects.get(username="student")
    student.set_password("something-else")
    student.save()
    run()
    assert get_user_model().objects.count() == 3
    assert Course.objects.get().enrollments.count() == 1
    assert authenticate(username="student", password="student-demo-2026")


def test_without_the_sample_course_it_says_what_to_run():
    err = StringIO()
    call_command("create_demo_accounts", stdout=StringIO(), stderr=err)
    assert "import_bank banks/ai-generation-basics.yaml" in err.getvalue()
    assert get_user_model().objects.count() == 3


def test_it_refuses_production_unless_forced(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="public passwords"):
        run()
