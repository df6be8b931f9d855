"""``manage.py export_bank COURSE [-o FILE] [--format yaml|json|moodle-xml|gift]``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gradebook.courses.bank.moodle_export import EXPORT_FORMATS, export_course_as
from gradebook.courses.models import Course


class Command(BaseCommand):
    help = (
        "Write a course back in the bank format (YAML or JSON: import -> export -> import is "
        "lossless), or as Moodle XML or GIFT for Moodle (what those formats cannot carry is "
        "listed on stderr)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", metavar="COURSE", help="the course slug")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument(
            "--format",
            choices=list(EXPORT_FORMATS),
            default=None,
            help="default: from the output file's suffix (.json, .xml, .gift/.txt), else yaml",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            known = ", ".join(Course.objects.values_list("slug", flat=True)[:20]) or "none"
            raise CommandError(f"no course {options['course']!r} (courses: {known})")
        output = options["output"]
        fmt = options["format"] or _format_for(output)
        exported = export_course_as(course, fmt)
        for note in exported.notes:
            self.stderr.write(f"note: {note}")
        text = exported.text
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


def _format_for(output: str | None) -> str:
    suffix = Path(output).suffix.lower() if output else ""
    return {".json": "json", ".xml": "moodle-xml", ".gift": "gift", ".txt": "gift"}.get(
        suffix, "yaml"
    )
