"""``manage.py create_demo_accounts``: a teacher, a student and an admin to try the app with.

Idempotent: running it again finds the same accounts, resets their passwords to the printed
ones and re-links them to the course, so the printed instructions are always right. The
passwords are public, so the command refuses to run with PRODUCTION=1 unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from gradebook.accounts.roles import make_admin, make_teacher
from gradebook.courses.models import Course

DEMO_COURSE = "ai-generation-basics"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    email: str


TEACHER = DemoAccount("teacher", "teacher-demo-2026", "teacher", "teacher@example.com")
STUDENT = DemoAccount("student", "student-demo-2026", "student", "student@example.com")
ADMIN = DemoAccount("admin", "admin-demo-2026", "admin", "admin@example.com")


def create_demo_accounts(
    *, course_slug: str = DEMO_COURSE
) -> tuple[list[DemoAccount], Course | None]:
    """Create or refresh the three demo accounts; returns them and the course they use."""
    users = get_user_model()
    course = Course.objects.filter(slug=course_slug).first()
    with transaction.atomic():
        for account in (TEACHER, STUDENT, ADMIN):
            user, _ = users.objects.get_or_create(
                username=account.username, defaults={"email": account.email}
            )
            user.set_password(account.password)
            user.is_active = True
            if account is ADMIN:
                user.is_staff = user.is_superuser = True
            user.save()
            if account is TEACHER:
                make_teacher(user)
                if course is not None:
                    course.teachers.add(user)
            elif account is STUDENT and course is not None:
                course.enroll(user)
            elif account is ADMIN:
                make_admin(user)
    return [TEACHER, STUDENT, ADMIN], course


class Command(BaseCommand):
    help = "Create (or refresh) a demo teacher, student and admin, and print how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default=DEMO_COURSE, help="course the demo users join")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="where the app is served (printed)"
        )
        parser.add_argument(
            "--force", action="store_true", help="run even with PRODUCTION=1 (public passwords!)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                "PRODUCTION=1: demo accounts have public passwords; pass --force if you mean it."
            )
        accounts, course = create_demo_accounts(course_slug=options["course"])
        url = options["url"].rstrip("/") + "/"
        if course is None:
            self.stderr.write(
                f"Course {options['course']!r} is not imported yet, so the demo teacher teaches "
                "nothing and the student is enrolled nowhere: run "
                "`python manage.py import_bank banks/ai-generation-basics.yaml` and then this "
                "command again."
            )
        self.stdout.write(f"Demo accounts (log in at {url}accounts/login/):")
        for account in accounts:
            self.stdout.write(
                f"  {account.role:<8} username {account.username:<8} password {account.password}"
            )
        self.stdout.write(f"The admin (and bank upload) is at {url}admin/")
        if course is not None:
            self.stdout.write(
                f"The teacher teaches and the student is enrolled in {course.title!r} "
                f"(join code {course.join_code})."
            )
