"""What the gradebook adds to django-lti's records of platforms, users, contexts and links.

- ``PlatformAccess``: what an administrator lets one registered platform do (which courses its
  instructors may place, which extra origins may frame our pages).
- ``Placement``: the course, lesson or item a resource link in the LMS opens, and the LMS
  line item its grade goes to.
- ``CourseLink``: an LMS context (a course in the LMS) linked to one of our courses; its
  learners are enrolled there, its instructors teach it.
- ``ScoreSync``: the outbox of scores on their way to the LMS, one row per placement and
  student. Each change of the computed score is a new *version* with its own fixed payload and
  timestamp, so a retry resends exactly the same value, and an older value can never overwrite a
  newer one (the LMS keeps the score with the latest timestamp).
- ``LaunchNonce``: every accepted launch's nonce, so a replayed id_token is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlatformAccess(models.Model):
    """What one registered platform may do here (edited beside its registration in the admin)."""

    registration = models.OneToOneField(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="access"
    )
    all_courses = models.BooleanField(
        _("all courses"),
        default=False,
        help_text=_(
            "Let this platform's instructors place any course (a single-institution install). "
            "Otherwise only the courses chosen below."
        ),
    )
    courses = models.ManyToManyField(
        "courses.Course",
        blank=True,
        related_name="+",
        verbose_name=_("courses"),
        help_text=_(
            "Courses this platform's instructors may place in their LMS courses. An instructor "
            "who launches a placement becomes a teacher of its course here."
        ),
    )
    frame_origins = models.TextField(
        _("frame origins"),
        blank=True,
        help_text=_(
            "Other origins allowed to show our pages in a frame, one per line (for example "
            "https://school.instructure.com). The issuer's origin and the origin of each "
            "launch's return URL are allowed already."
        ),
    )

    class Meta:
        verbose_name = _("platform access")
        verbose_name_plural = _("platform access")

    def __str__(self) -> str:
        return str(self.registration)

    def extra_origins(self) -> list[str]:
        return [
            line.strip().rstrip("/") for line in self.frame_origins.splitlines() if line.strip()
        ]


class Target(models.TextChoices):
    COURSE = "course", _("course")
    LESSON = "lesson", _("lesson")
    ITEM = "item", _("item")


#: Targets that carry a grade (a line item in the LMS); a course is a plain link.
GRADED_TARGETS = (Target.LESSON, Target.ITEM)


class Placement(models.Model):
    """One resource link in the LMS and what it opens here."""

    resource_link = models.OneToOneField(
        "lti_tool.LtiResourceLink", on_delete=models.CASCADE, related_name="placement"
    )
    target = models.CharField(max_length=10, choices=Target.choices)
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="lti_placements"
    )
    lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "courses.Item", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    line_item = models.ForeignKey(
        "lti_tool.LtiLineItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="placements",
    )
    # The AGS scopes the platform granted in the latest launch of this link.
    ags_scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self) -> str:
        return f"{self.resource_link} → {self.target_code()}"

    @property
    def is_graded(self) -> bool:
        return self.target in GRADED_TARGETS

    @property
    def context(self) -> Any:
        return self.resource_link.context

    def target_code(self) -> str:
        """The target as deep linking writes it in the link's custom parameters."""
        if self.target == Target.ITEM and self.item is not None:
            return f"item:{self.course.slug}/{self.item.key}"
        if self.target == Target.LESSON and self.lesson is not None:
            return f"lesson:{self.course.slug}/{self.lesson.slug}"
        return f"course:{self.course.slug}"

    def items(self) -> models.QuerySet[Any]:
        """The items whose grades make this placement's grade (none for a course link)."""
        from gradebook.courses.models import Item

        if self.target == Target.ITEM:
            return Item.objects.filter(pk=self.item_id)
        if self.target == Target.LESSON:
            return Item.objects.filter(lesson_id=self.lesson_id, retired_at__isnull=True)
        return Item.objects.none()

    def title(self) -> str:
        if self.target == Target.ITEM and self.item is not None:
            return self.item.title or self.item.key
        if self.target == Target.LESSON and self.lesson is not None:
            return self.lesson.title
        return self.course.title

    def page_url(self) -> str:
        """Where a launch of this link takes a student."""
        if self.target == Target.COURSE:
            return reverse("course", args=[self.course.slug])
        lesson = self.lesson if self.target == Target.LESSON else self.item.lesson
        url = reverse("lesson", args=[self.course.slug, lesson.slug])
        return f"{url}#item-{self.item_id}" if self.target == Target.ITEM else url


class CourseLink(models.Model):
    """An LMS context linked to one of our courses: its learners are enrolled there."""

    context = models.ForeignKey(
        "lti_tool.LtiContext", on_delete=models.CASCADE, related_name="course_links"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "course"], name="unique_lti_course_link")
        ]

    def __str__(self) -> str:
        return f"{self.context} ↔ {self.course}"


class RosterStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class RosterSync(models.Model):
    """The latest on-demand roster sync (NRPS) of one LMS context."""

    context = models.OneToOneField(
        "lti_tool.LtiContext", on_delete=models.CASCADE, related_name="roster_sync"
    )
    status = models.CharField(max_length=10, choices=RosterStatus.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {"members": n, "learners": n, "instructors": n, "new_accounts": n, "enrolled": n,
    #  "unenrolled": n}
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    #: A sync that has not finished after this long is taken to have died with its worker.
    STALE_AFTER = timedelta(minutes=10)

    def __str__(self) -> str:
        return f"roster of {self.context} ({self.status})"

    @property
    def is_active(self) -> bool:
        fresh = timezone.now() - self.requested_at < self.STALE_AFTER
        return self.status in (RosterStatus.QUEUED, RosterStatus.RUNNING) and fresh


class SyncStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("refused by the LMS")


class ScoreSync(models.Model):
    """One student's grade for one placement, and how far it got to the LMS."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="score_syncs")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The LTI ``sub`` of the student on that platform: the AGS ``userId``.
    user_id_on_platform = models.CharField(max_length=255)
    # The payload of ``version``: fixed once written (a retry sends the same value and time).
    score_given = models.FloatField(null=True, blank=True)
    score_maximum = models.FloatField(default=0)
    activity_progress = models.CharField(max_length=20, default="Initialized")
    grading_progress = models.CharField(max_length=20, default="NotReady")
    computed_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=0)
    sent_version = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING, db_index=True
    )
    tries = models.PositiveIntegerField(default=0, help_text="Sends of the current version.")
    next_try_at = models.DateTimeField(null=True, blank=True)
    # A sender holds the row until then (a conditional UPDATE claims it), so two workers never
    # send the same row at once; a sender that died lets go when the time passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["placement", "student"], name="unique_score_sync")
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.placement}: v{self.version} ({self.status})"

    def payload(self) -> dict[str, Any]:
        """The AGS score of this version (application/vnd.ims.lis.v1.score+json)."""
        data: dict[str, Any] = {
            "userId": self.user_id_on_platform,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": self.computed_at.isoformat(timespec="milliseconds"),
        }
        if self.score_given is not None:
            data["scoreGiven"] = self.score_given
        return data


class LaunchNonce(models.Model):
    """The nonce of every accepted launch: the same id_token is never accepted twice."""

    issuer = models.CharField(max_length=255)
    nonce = models.CharField(max_length=255)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "nonce"], name="unique_launch_nonce")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.nonce}"


class SweepMark(models.Model):
    """How far the score sweeper has looked at grade changes (one row per name)."""

    name = models.CharField(max_length=50, unique=True)
    value = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
