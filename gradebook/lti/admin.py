"""Admin for LTI: platform registrations (django-lti's, plus what this platform may do and the
URLs to paste into the LMS), the tool's keys, placements and the score outbox.

Placements and score rows are written by launches and grading, so they are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from lti_tool.admin import LtiRegistrationAdmin
from lti_tool.models import Key, LtiRegistration

from gradebook.lti.models import Placement, PlatformAccess, ScoreSync, SyncStatus
from gradebook.lti.tool import signing_key


class PlatformAccessInline(admin.StackedInline):
    model = PlatformAccess
    can_delete = False
    filter_horizontal = ("courses",)
    verbose_name = verbose_name_plural = _("what this platform may do")


admin.site.unregister(LtiRegistration)


@admin.register(LtiRegistration)
class RegistrationAdmin(LtiRegistrationAdmin):
    inlines = [*LtiRegistrationAdmin.inlines, PlatformAccessInline]
    readonly_fields = ("tool_urls",)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (
                _("Paste these into the LMS"),
                {"fields": ["tool_urls"], "description": _("See docs/lti.md for each LMS.")},
            ),
            *super().get_fieldsets(request, obj),
        ]

    @admin.display(description=_("tool URLs"))
    def tool_urls(self, obj: LtiRegistration | None) -> str:
        request = getattr(self, "_request", None)

        def absolute(path: str) -> str:
            return request.build_absolute_uri(path) if request is not None else path

        login = reverse("lti:login")
        if obj is not None and obj.pk:
            login = reverse("lti:login_for", args=[obj.uuid])
        rows = [
            (_("OIDC login / initiation URL"), absolute(login)),
            (
                _("Redirect / launch URL (also the deep linking URL)"),
                absolute(reverse("lti:launch")),
            ),
            (_("Public keyset (JWKS) URL"), absolute(reverse("lti:jwks"))),
        ]
        return format_html(
            "<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd><code>{}</code></dd>", rows)
        )

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        self._request = request
        return super().get_form(request, obj, **kwargs)


@admin.register(Key)
class KeyAdmin(admin.ModelAdmin):
    """The tool's signing keys. Rotation: ``manage.py rotate_keys`` or the action below."""

    list_display = ("__str__", "is_active", "datetime_created")
    fields = ("public_key", "is_active", "datetime_created")
    readonly_fields = ("public_key", "datetime_created")
    actions = ["rotate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(
        description=_("Make a new signing key (old keys stay published until deactivated)")
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[Key]) -> None:
        Key.objects.generate()
        messages.success(request, _("A new signing key was made: %(kid)s") % {"kid": signing_key()})


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = (
        "resource_link",
        "target",
        "course",
        "lesson",
        "item",
        "line_item",
        "created_at",
    )
    list_filter = ("target", "course")
    readonly_fields = [f.name for f in Placement._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ScoreSync)
class ScoreSyncAdmin(admin.ModelAdmin):
    list_display = (
        "student",
        "placement",
        "score_given",
        "score_maximum",
        "grading_progress",
        "version",
        "sent_version",
        "status",
        "tries",
        "computed_at",
    )
    list_filter = ("status",)
    search_fields = ("student__username", "user_id_on_platform")
    readonly_fields = [f.name for f in ScoreSync._meta.fields]
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[ScoreSync]) -> None:
        from gradebook.lti.scores import publish_sends

        ids = list(queryset.values_list("pk", flat=True))
        queryset.update(status=SyncStatus.PENDING, tries=0, next_try_at=None)
        publish_sends(ids)
        messages.success(request, _("%(count)s scores queued.") % {"count": len(ids)})
