"""``manage.py import_bank PATH... [--dry-run] [--course SLUG]``: a thin shell over
``load_documents`` and ``bank_import``, the service every import runs (the admin's upload job
calls it too); this command adds a progress bar on big banks."""

from __future__ import annotations

import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gradebook.courses.bank import BankInvalid, bank_import, load_documents
from gradebook.courses.bank.importing import total_work

#: Below this many items a progress bar is more noise than help.
PROGRESS_MIN_ITEMS = 500
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}\Z")


class Command(BaseCommand):
    help = (
        "Import question-bank files (YAML, JSON, Moodle XML or GIFT; docs/bank-format.md). "
        "Every file is validated "
        "first; then all are written in one transaction, so a bad file writes nothing. "
        "Re-importing a course updates it in place and retires items gone from the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="bank files to import")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and print what would be created, updated and retired; write nothing",
        )
        parser.add_argument(
            "--course",
            metavar="SLUG",
            help="the course to import into: Moodle XML and GIFT files name none (default: the "
            "file name as a slug); for a YAML or JSON bank it replaces the file's course",
        )
        parser.add_argument(
            "--allow-html",
            action="store_true",
            help="store text containing <script>, event handlers or javascript: links (it is "
            "removed when rendered) instead of refusing the file",
        )
        parser.add_argument(
            "--progress",
            choices=["auto", "on", "off"],
            default="auto",
            help="progress bar on stderr (auto: on for large banks when stderr is a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            course = options["course"]
            if course is not None and not _SLUG.match(course):
                raise CommandError(
                    f"--course {course!r} is not a valid slug: use lowercase letters, digits "
                    "and hyphens, starting with a letter or digit"
                )
            documents = load_documents(options["paths"], course=course)
            total = total_work(documents, dry_run=options["dry_run"])
            bar = self._progress_bar(total, options["progress"])
            try:
                result = bank_import(
                    documents=documents,
                    dry_run=options["dry_run"],
                    allow_active_html=options["allow_html"],
                    progress=bar.update if bar is not None else None,
                )
            finally:
                if bar is not None:
                    bar.close()
        except BankInvalid as exc:
            count = len(exc.errors)
            noun = "problem" if count == 1 else "problems"
            raise CommandError(
                f"{count} {noun}; nothing was imported:\n" + "\n".join(map(str, exc.errors))
            ) from None
        for line in result.describe():
            self.stdout.write(line)

    def _progress_bar(self, total: int, mode: str) -> Any:
        show = mode == "on" or (
            mode == "auto" and total >= PROGRESS_MIN_ITEMS and sys.stderr.isatty()
        )
        if not show:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="item", desc="import", file=sys.stderr, leave=False)
