"""Django admin for courses, lessons, items and bank imports, plus the bank upload page.

Items are read-only here on purpose: an item's key changes through a bank import, which keeps
a revision (``Item.set_spec``) so every old answer stays explainable against the key it was
graded with. An upload is a background job (``gradebook.courses.bank.jobs``) that runs the same
validation as ``manage.py import_bank``; its page shows progress, then every problem or the
dry-run preview, and applies it only when the admin confirms.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gradebook.courses.bank.errors import BankError, BankInvalid
from gradebook.courses.bank.jobs import (
    import_job_confirm,
    import_job_create,
    import_job_discard,
    import_job_state,
)
from gradebook.courses.bank.loading import BANK_SUFFIXES, MAX_BANK_BYTES
from gradebook.courses.bank.moodle_export import EXPORT_FORMATS, export_course_as
from gradebook.courses.models import (
    BankImport,
    BankImportStatus,
    Course,
    Enrollment,
    Item,
    ItemRevision,
    Lesson,
)

#: Download links on the course list: format, label (formats' own names, not translated).
EXPORT_LABELS = (("yaml", "YAML"), ("moodle-xml", "Moodle XML"), ("gift", "GIFT"))
EXPORT_FILES = {
    "yaml": ("yaml", "application/yaml"),
    "json": ("json", "application/json"),
    "moodle-xml": ("xml", "application/xml"),
    "gift": ("gift.txt", "text/plain"),
}


def pretty_json(value: Any) -> str:
    return format_html(
        '<pre style="white-space: pre-wrap; max-width: 60em">{}</pre>',
        json.dumps(value, ensure_ascii=False, indent=2),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never edited by hand: these rows are written by imports and grading."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("order", "slug", "title", "estimated_minutes", "retired_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = (
        "slug", "title", "language", "join_code", "lesson_count", "item_count", "export_links",
    )  # fmt: skip
    search_fields = ("slug", "title")
    filter_horizontal = ("teachers",)
    readonly_fields = ("meta_json", "created_at", "updated_at")
    fields = (
        "slug", "title", "description", "language", "join_code", "teachers", "meta_json",
        "created_at", "updated_at",
    )  # fmt: skip
    inlines = [LessonInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_lessons=Count(
                    "lessons", filter=Q(lessons__retired_at__isnull=True), distinct=True
                ),
                n_items=Count("items", filter=Q(items__retired_at__isnull=True), distinct=True),
            )
        )

    @admin.display(description=gettext_lazy("lessons"), ordering="n_lessons")
    def lesson_count(self, obj: Course) -> int:
        return obj.n_lessons  # type: ignore[attr-defined,no-any-return]

    @admin.display(description=gettext_lazy("items"), ordering="n_items")
    def item_count(self, obj: Course) -> int:
        return obj.n_items  # type: ignore[attr-defined,no-any-return]

    @admin.display(description=gettext_lazy("bank extras (levels, achievements, x-…)"))
    def meta_json(self, obj: Course) -> str:
        return pretty_json(obj.meta)

    @admin.display(description=gettext_lazy("export"))
    def export_links(self, obj: Course) -> str:
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:courses_course_export", args=[obj.pk, fmt]),
                label,
            )
            for fmt, label in EXPORT_LABELS
        ]
        return format_html(" · ".join(["{}"] * len(links)), *links)

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "<int:pk>/export/<str:fmt>/",
            self.admin_site.admin_view(self.export_view),
            name="courses_course_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        """The course as a bank file download: what ``manage.py export_bank`` writes."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        course = Course.objects.filter(pk=pk).first()
        if course is None or fmt not in EXPORT_FORMATS:
            raise Http404("No such course or export format.")
        exported = export_course_as(course, fmt)
        suffix, content_type = EXPORT_FILES[fmt]
        response = HttpResponse(exported.text, content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{course.slug}.{suffix}"'
        return response


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("student", "course", "created_at")
    list_filter = ("course",)
    search_fields = ("student__username", "student__email", "course__slug")
    raw_id_fields = ("student",)


class ItemInline(admin.TabularInline):
    model = Item
    fields = ("order", "key", "type", "title", "revision", "retired_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "order", "slug", "estimated_minutes", "is_active")
    list_filter = ("course", "language")
    search_fields = ("slug", "title")
    readonly_fields = ("course", "slug", "created_at", "updated_at", "retired_at")
    inlines = [ItemInline]

    @admin.display(boolean=True, description=gettext_lazy("active"))
    def is_active(self, obj: Lesson) -> bool:
        return obj.retired_at is None


class RevisionInline(admin.TabularInline):
    model = ItemRevision
    fields = ("number", "created_at", "created_by", "note", "spec_json")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("spec"))
    def spec_json(self, obj: ItemRevision) -> str:
        return pretty_json(obj.spec)


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ("key", "course", "lesson", "type", "points", "revision", "is_active")
    list_filter = ("course", "type", ("retired_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "title", "text")
    list_select_related = ("course", "lesson")
    fields = (
        "course", "lesson", "key", "type", "order", "title", "text", "points", "max_attempts",
        "retry_penalty", "revision", "retired_at", "spec_json", "created_at", "updated_at",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [RevisionInline]

    @admin.display(description=gettext_lazy("spec (as in the bank)"))
    def spec_json(self, obj: Item) -> str:
        return pretty_json(obj.spec)

    @admin.display(boolean=True, description=gettext_lazy("active"))
    def is_active(self, obj: Item) -> bool:
        return obj.retired_at is None


@admin.register(ItemRevision)
class ItemRevisionAdmin(ReadOnlyAdmin):
    list_display = ("item", "number", "created_at", "created_by", "note")
    list_select_related = ("item__course", "created_by")
    search_fields = ("item__key",)
    fields = ("item", "number", "created_at", "created_by", "note", "spec_json")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("spec"))
    def spec_json(self, obj: ItemRevision) -> str:
        return pretty_json(obj.spec)


# --- Bank imports and the upload page ---------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the pattern from Django's file-upload docs)."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class BankUploadForm(forms.Form):
    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ",".join(BANK_SUFFIXES)}),
        help_text=f"YAML or JSON bank files, Moodle XML (.xml) or GIFT (.gift, .txt) "
        f"(docs/bank-format.md), up to {MAX_BANK_BYTES // 1024 // 1024} MB each.",
    )
    course = forms.SlugField(
        required=False,
        max_length=100,
        label=gettext_lazy("Course"),
        help_text=gettext_lazy(
            "Moodle XML and GIFT files name no course: the slug of the course to import into "
            "(empty: the file's name). For a YAML or JSON bank it replaces the file's course."
        ),
    )
    allow_html = forms.BooleanField(
        required=False,
        label="Store text containing <script>, event handlers or javascript: links",
        help_text="It is removed when rendered either way; by default such a file is refused.",
    )


def read_uploads(files: list[Any]) -> tuple[list[tuple[str, bytes]], list[BankError]]:
    """The uploaded files as (name, bytes), each refused over the size cap before it is read."""
    raw_files: list[tuple[str, bytes]] = []
    errors: list[BankError] = []
    for upload in files:
        name = Path(upload.name).name
        if upload.size > MAX_BANK_BYTES:
            errors.append(
                BankError(
                    name,
                    None,
                    "",
                    f"the file is {upload.size / 1024 / 1024:.1f} MB; bank files are limited to "
                    f"{MAX_BANK_BYTES // 1024 // 1024} MB",
                )
            )
            continue
        raw_files.append((name, upload.read()))
    return raw_files, errors


@admin.register(BankImport)
class BankImportAdmin(ReadOnlyAdmin):
    """Imports run as jobs (``gradebook.courses.bank.jobs``): the upload page queues one, and
    its page follows it: progress, then every problem or the preview to confirm, then what
    changed, with a way to regrade the answers a changed key touches."""

    list_display = ("created_at", "created_by", "file_list", "status", "change_counts")
    list_filter = ("status",)
    list_select_related = ("created_by",)
    change_list_template = "admin/courses/bankimport/change_list.html"

    @admin.display(description=gettext_lazy("files"))
    def file_list(self, obj: BankImport) -> str:
        return ", ".join(obj.filenames)

    @admin.display(description=gettext_lazy("changes"))
    def change_counts(self, obj: BankImport) -> str:
        parts = []
        source = obj.summary if obj.status == BankImportStatus.SUCCEEDED else obj.preview
        for course in (source or {}).get("courses", []):
            items = course.get("counts", {}).get("items", {})
            parts.append(
                f"{course.get('course')}: +{items.get('created', 0)} "
                f"~{items.get('updated', 0)} -{items.get('retired', 0)}"
            )
        return "; ".join(parts)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="courses_bankimport_upload"),
            path("<int:pk>/state/", view(self.state_view), name="courses_bankimport_state"),
            path("<int:pk>/apply/", view(self.apply_view), name="courses_bankimport_apply"),
            path("<int:pk>/discard/", view(self.discard_view), name="courses_bankimport_discard"),
            *super().get_urls(),
        ]

    def _may_import(self, request: HttpRequest) -> None:
        if not (request.user.is_superuser or request.user.has_perm("courses.add_bankimport")):
            raise PermissionDenied

    def _record(self, request: HttpRequest, pk: int) -> BankImport:
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = BankImport.objects.filter(pk=pk).first()
        if record is None:
            raise Http404("No such import.")
        return record

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload -> a queued job -> its page (the check runs on a worker)."""
        self._may_import(request)
        form = BankUploadForm(request.POST or None, request.FILES or None)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Import a question bank"),
            "opts": self.model._meta,
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            raw_files, errors = read_uploads(form.cleaned_data["files"])
            if not errors:
                record = import_job_create(
                    files=raw_files,
                    by=request.user,
                    allow_html=form.cleaned_data["allow_html"],
                    course_slug=form.cleaned_data["course"] or "",
                )
                return HttpResponseRedirect(
                    reverse("admin:courses_bankimport_change", args=[record.pk])
                )
            context["errors"] = errors
        return TemplateResponse(request, "admin/courses/bankimport/upload.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The import's own page instead of a form of raw fields."""
        try:
            record = self._record(request, int(object_id))
        except ValueError:
            raise Http404("No such import.") from None
        context = {
            **self.admin_site.each_context(request),
            "title": str(record),
            "opts": self.model._meta,
            "record": record,
            "plan": record.summary
            if record.status == BankImportStatus.SUCCEEDED
            else record.preview,
            "errors": [BankError.from_dict(e) for e in record.errors],
            "warnings": [
                BankError.from_dict(w)
                for w in (
                    record.summary
                    if record.status == BankImportStatus.SUCCEEDED
                    else record.preview
                ).get("warnings", [])
            ],
            "hidden_errors": max(record.error_count - len(record.errors), 0),
            "may_import": request.user.is_superuser
            or request.user.has_perm("courses.add_bankimport"),
            "stalled": record.status == BankImportStatus.QUEUED
            and timezone.now() - record.created_at > timedelta(minutes=1),
        }
        return TemplateResponse(request, "admin/courses/bankimport/detail.html", context)

    def state_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        response = JsonResponse(import_job_state(self._record(request, pk)))
        response["Cache-Control"] = "no-store"
        return response

    def apply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._may_import(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        record = self._record(request, pk)
        try:
            import_job_confirm(record=record, by=request.user)
        except BankInvalid as exc:
            messages.error(request, exc.errors[0].message)
        return HttpResponseRedirect(reverse("admin:courses_bankimport_change", args=[pk]))

    def discard_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._may_import(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        import_job_discard(record=self._record(request, pk))
        messages.info(request, _("The import was discarded; nothing was written."))
        return HttpResponseRedirect(reverse("admin:courses_bankimport_changelist"))
