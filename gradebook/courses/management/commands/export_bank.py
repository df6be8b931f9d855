"""``manage.py export_bank COURSE [-o FILE] [--format yaml|json]``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gradebook.courses.bank import export_course
from gradebook.courses.models import Course


class Command(BaseCommand):
    help = "Write a course back in the bank format (import -> export -> import is lossless)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", metavar="COURSE", help="the course slug")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument(
            "--format",
            choices=["yaml", "json"],
            default=None,
            help="default: from the output file's suffix, else yaml",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            known = ", ".join(Course.objects.values_list("slug", flat=True)[:20]) or "none"
            raise CommandError(f"no course {options['course']!r} (courses: {known})")
        output = options["output"]
        fmt = options["format"] or (
            "json" if output and output.lower().endswith(".json") else "yaml"
        )
        text = export_course(course, fmt=fmt)
        if not output:
            self.stdout.write(text, ending="")
            return
        target = Path(output)
        # Write a temporary file and rename it, so an interrupted export never leaves half a bank.
        fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stderr.write(f"wrote {course.slug} to {target}")
