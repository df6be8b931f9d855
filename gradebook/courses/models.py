"""Courses, lessons and items: the content a question bank describes.

An item's answer key and grading rules live in ``Item.spec``, exactly the item as written in
the bank format and validated by ``graders.validate_spec``. Every change to a spec creates an
``ItemRevision`` so an old attempt can still be explained against the key it was graded with.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


def new_join_code() -> str:
    # 8 characters from an alphabet without look-alikes (0/O, 1/l/I): easy to read aloud.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Course(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    language = models.CharField(max_length=16, default="en")
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="taught_courses", blank=True
    )
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Enrollment",
        related_name="enrolled_courses",
        blank=True,
    )
    # The bank file's top-level extras (levels, achievements overrides, ...), kept for export.
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title or self.slug

    def enroll(self, user: Any) -> Enrollment:
        enrollment, _ = Enrollment.objects.get_or_create(course=self, student=user)
        return enrollment

    def is_taught_by(self, user: Any) -> bool:
        return bool(user.is_authenticated) and self.teachers.filter(pk=user.pk).exists()

    def active_lessons(self) -> models.QuerySet[Lesson]:
        return self.lessons.filter(retired_at__isnull=True).order_by("order", "id")


class Enrollment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "student"], name="unique_enrollment")
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.course}"


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(max_length=100)
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    # One-line summary in the lesson's own voice (the seed pages' Korean "한 줄 정리").
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Markdown; rendered sanitised.")
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=16, default="en")
    # [{"text": "...", "formula": "x_t = \\sqrt{\\alpha_t} x_0 + ..."}]
    key_facts = models.JSONField(default=list, blank=True)
    takeaways = models.JSONField(default=list, blank=True)  # ["..."]
    vocabulary = models.JSONField(default=list, blank=True)  # [{"term": "", "definition": ""}]
    common_mistakes = models.JSONField(default=list, blank=True)  # ["..."]
    sources = models.JSONField(default=list, blank=True)  # where the content came from
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="unique_lesson_slug")
        ]

    def __str__(self) -> str:
        return self.title

    def active_items(self) -> models.QuerySet[Item]:
        return self.items.filter(retired_at__isnull=True).order_by("order", "id")

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def retire(self) -> None:
        """Hide the lesson from students; its rows (and students' answers) stay."""
        if self.retired_at is None:
            self.retired_at = timezone.now()
            self.save(update_fields=["retired_at", "updated_at"])


class ItemType(models.TextChoices):
    NUMERIC = "numeric"
    SYMBOLIC = "symbolic"
    MULTIPLE_CHOICE = "multiple_choice"
    MULTIPART = "multipart"
    FREE_TEXT = "free_text"
    EXERCISE = "exercise"
    SHORT_TEXT = "short_text"
    MATCHING = "matching"


#: Item types a teacher grades by hand; the rest are graded by ``graders`` at once.
REVIEWED_TYPES = frozenset({ItemType.FREE_TEXT, ItemType.EXERCISE})


class Item(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="items")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=100, help_text="The item's stable id within its course.")
    type = models.CharField(max_length=32, choices=ItemType.choices)
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(help_text="The question, Markdown; may hold {param} placeholders.")
    spec = models.JSONField(help_text="The item exactly as in the bank format.")
    points = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    max_attempts = models.PositiveIntegerField(null=True, blank=True)
    retry_penalty = models.FloatField(default=0.0)
    revision = models.PositiveIntegerField(default=1)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lesson", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["course", "key"], name="unique_item_key")]

    def __str__(self) -> str:
        return f"{self.course.slug}/{self.key}"

    @property
    def is_reviewed(self) -> bool:
        return self.type in REVIEWED_TYPES

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def current_revision(self) -> ItemRevision:
        return self.revisions.get(number=self.revision)

    def set_spec(self, spec: dict[str, Any], *, by: Any = None, note: str = "") -> bool:
        """Store a new spec, keeping the old one as a revision. Returns whether it changed.

        Attempts point at the revision they were graded against, so editing a key never
        rewrites history; regrading is an explicit, separate action.
        """
        with transaction.atomic():
            if (
                self.pk
                and self.spec == spec
                and self.revisions.filter(number=self.revision).exists()
            ):
                return False
            if self.pk is None:
                self.spec = spec
                self.revision = 1
                self.save()
            else:
                self.spec = spec
                self.revision = (self.revisions.aggregate(m=models.Max("number"))["m"] or 0) + 1
                self.save()
            ItemRevision.objects.create(
                item=self,
                number=self.revision,
                spec=spec,
                created_by=by if getattr(by, "pk", None) else None,
                note=note,
            )
            return True

    def retire(self) -> None:
        if self.retired_at is None:
            self.retired_at = timezone.now()
            self.save(update_fields=["retired_at", "updated_at"])

    def restore(self) -> None:
        """Bring a retired item back (it reappeared in its bank); its history is intact."""
        if self.retired_at is not None:
            self.retired_at = None
            self.save(update_fields=["retired_at", "updated_at"])


class ItemRevision(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="unique_item_revision")
        ]

    def __str__(self) -> str:
        return f"{self.item} r{self.number}"


class BankImportStatus(models.TextChoices):
    QUEUED = "queued", "waiting for a worker"
    CHECKING = "checking", "checking"
    READY = "ready", "checked: waiting for your confirmation"
    APPLYING = "applying", "importing"
    SUCCEEDED = "succeeded", "imported"
    FAILED = "failed", "refused: nothing was written"
    DISCARDED = "discarded", "discarded"


#: States in which a worker has (or will have) something to do.
ACTIVE_IMPORT_STATUSES = (
    BankImportStatus.QUEUED,
    BankImportStatus.CHECKING,
    BankImportStatus.APPLYING,
)


class BankImport(models.Model):
    """One import: its files, the check and preview a worker made, and what it changed.

    An upload in the admin is a job (``gradebook.courses.bank.jobs``): queued -> checking ->
    ready (the preview, waiting for the admin) -> applying -> succeeded, or failed with every
    problem found (nothing written). ``manage.py import_bank`` records its runs here too,
    already succeeded.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    filenames = models.JSONField(default=list)
    dry_run = models.BooleanField(default=False)
    succeeded = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True)  # created/updated/retired lists
    errors = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=12,
        choices=BankImportStatus.choices,
        default=BankImportStatus.SUCCEEDED,
        db_index=True,
    )
    allow_html = models.BooleanField(default=False)
    course_slug = models.SlugField(
        max_length=100,
        blank=True,
        default="",
        help_text="The course a Moodle XML or GIFT file is imported into (those formats name "
        "no course); empty: the file's name.",
    )
    # What applying would do, computed by the check (the admin reads it before confirming).
    preview = models.JSONField(default=dict, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker claimed it.")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    #: A claim whose heartbeat is older than this belongs to a dead worker: another may take it.
    STALE_AFTER = timedelta(minutes=10)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        files = ", ".join(self.filenames) or "no file"
        when = ""
        if self.created_at:
            when = timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M")
        return f"Import of {files} ({self.get_status_display()}, {when})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def percent_done(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class BankImportFile(models.Model):
    """An uploaded bank file, kept in the database (shared by web and workers, written in the
    same transaction as its import) until the import is applied, refused or discarded."""

    bank_import = models.ForeignKey(BankImport, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    content = models.BinaryField()

    class Meta:
        ordering = ["bank_import", "position"]


class BankMedia(models.Model):
    """An image a bank file carried inside it (Moodle XML's base64 ``<file>``), stored with the
    course and named by its content's SHA-256: a re-import stores nothing new, and the item
    text points at ``/courses/<course>/media/<sha256>.<ext>`` (served to the course's students
    and teachers only). Rows are never deleted by an import: an older revision may use them."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="media")
    sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=255, help_text="The file name the bank gave it.")
    content_type = models.CharField(max_length=50)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "sha256"], name="bank_media_once_per_course")
        ]

    def __str__(self) -> str:
        return f"{self.course_id}/{self.sha256[:12]} ({self.name})"
