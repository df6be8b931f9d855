"""Django admin for courses, lessons, items and bank imports, plus the bank upload page.

Items are read-only here on purpose: an item's key changes through a bank import, which keeps
a revision (``Item.set_spec``) so every old answer stays explainable against the key it was
graded with. The upload page runs the same validation as ``manage.py import_bank``, shows the
dry-run plan, and applies it only when the admin confirms.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from gradebook.courses.bank import BankInvalid, Document, bank_import, parse_bank_bytes
from gradebook.courses.bank.errors import BankError
from gradebook.courses.bank.loading import MAX_BANK_BYTES
from gradebook.courses.models import BankImport, Course, Enrollment, Item, ItemRevision, Lesson


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
    list_display = ("slug", "title", "language", "join_code", "lesson_count", "item_count")
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

    @admin.display(description=_("lessons"), ordering="n_lessons")
    def lesson_count(self, obj: Course) -> int:
        return obj.n_lessons  # type: ignore[attr-defined,no-any-return]

    @admin.display(description=_("items"), ordering="n_items")
    def item_count(self, obj: Course) -> int:
        return obj.n_items  # type: ignore[attr-defined,no-any-return]

    @admin.display(description=_("bank extras (levels, achievements, x-…)"))
    def meta_json(self, obj: Course) -> str:
        return pretty_json(obj.meta)


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

    @admin.display(boolean=True, description=_("active"))
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

    @admin.display(description=_("spec"))
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

    @admin.display(description=_("spec (as in the bank)"))
    def spec_json(self, obj: Item) -> str:
        return pretty_json(obj.spec)

    @admin.display(boolean=True, description=_("active"))
    def is_active(self, obj: Item) -> bool:
        return obj.retired_at is None


@admin.register(ItemRevision)
class ItemRevisionAdmin(ReadOnlyAdmin):
    list_display = ("item", "number", "created_at", "created_by", "note")
    list_select_related = ("item__course", "created_by")
    search_fields = ("item__key",)
    fields = ("item", "number", "created_at", "created_by", "note", "spec_json")
    readonly_fields = fields

    @admin.display(description=_("spec"))
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
        widget=MultipleFileInput(attrs={"accept": ".yaml,.yml,.json"}),
        help_text=f"YAML or JSON bank files (docs/bank-format.md), up to "
        f"{MAX_BANK_BYTES // 1024 // 1024} MB each.",
    )
    allow_html = forms.BooleanField(
        required=False,
        label="Store text containing <script>, event handlers or javascript: links",
        help_text="It is removed when rendered either way; by default such a file is refused.",
    )


def upload_stash() -> Path:
    # Outside MEDIA_ROOT on purpose: media is publicly served, uploaded banks hold answer keys.
    return Path(getattr(settings, "VAR_DIR", settings.BASE_DIR / "var")) / "bank-uploads"


def read_uploads(
    files: list[Any],
) -> tuple[list[Document], list[BankError], list[tuple[str, bytes]]]:
    documents: list[Document] = []
    errors: list[BankError] = []
    raw_files: list[tuple[str, bytes]] = []
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
        raw = upload.read()
        raw_files.append((name, raw))
        try:
            documents.append(parse_bank_bytes(raw, filename=name))
        except BankInvalid as exc:
            errors.extend(exc.errors)
    return documents, errors, raw_files


@admin.register(BankImport)
class BankImportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "created_by", "file_list", "succeeded", "change_counts")
    list_select_related = ("created_by",)
    fields = ("created_at", "created_by", "filenames", "dry_run", "succeeded", "summary_json")
    readonly_fields = fields
    change_list_template = "admin/courses/bankimport/change_list.html"

    @admin.display(description=_("files"))
    def file_list(self, obj: BankImport) -> str:
        return ", ".join(obj.filenames)

    @admin.display(description=_("changes"))
    def change_counts(self, obj: BankImport) -> str:
        parts = []
        for course in (obj.summary or {}).get("courses", []):
            items = course.get("counts", {}).get("items", {})
            parts.append(
                f"{course.get('course')}: +{items.get('created', 0)} "
                f"~{items.get('updated', 0)} -{items.get('retired', 0)}"
            )
        return "; ".join(parts)

    @admin.display(description=_("summary"))
    def summary_json(self, obj: BankImport) -> str:
        return pretty_json(obj.summary)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="courses_bankimport_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload -> validate -> show the dry-run plan -> confirm -> apply."""
        if not (request.user.is_superuser or request.user.has_perm("courses.add_bankimport")):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Import a question bank",
            "opts": self.model._meta,
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._apply(request, request.POST["token"], context)
        form = BankUploadForm(request.POST or None, request.FILES or None)
        context["form"] = form
        if request.method == "POST" and form.is_valid():
            documents, errors, raw_files = read_uploads(form.cleaned_data["files"])
            allow_html = form.cleaned_data["allow_html"]
            if not errors:
                try:
                    result = bank_import(
                        documents=documents, dry_run=True, allow_active_html=allow_html
                    )
                except BankInvalid as exc:
                    errors = exc.errors
            if errors:
                context["errors"] = errors
            else:
                context["plans"] = [plan.describe() for plan in result.plans]
                context["token"] = self._stash(request, raw_files, allow_html)
        return TemplateResponse(request, "admin/courses/bankimport/upload.html", context)

    def _stash(
        self, request: HttpRequest, raw_files: list[tuple[str, bytes]], allow_html: bool
    ) -> str:
        token = secrets.token_hex(16)
        folder = upload_stash() / token
        folder.mkdir(parents=True, exist_ok=True)
        for index, (name, raw) in enumerate(raw_files):
            (folder / f"{index:03d}-{name}").write_bytes(raw)
        pending = request.session.get("bank_uploads", {})
        pending[token] = {"allow_html": allow_html}
        request.session["bank_uploads"] = pending
        return token

    def _apply(self, request: HttpRequest, token: str, context: dict[str, Any]) -> HttpResponse:
        pending = request.session.get("bank_uploads", {})
        folder = upload_stash() / token
        if token not in pending or not folder.is_dir():
            messages.error(request, "That upload has expired or was already applied; upload again.")
            return HttpResponseRedirect(reverse("admin:courses_bankimport_upload"))
        options = pending.pop(token)
        request.session["bank_uploads"] = pending
        try:
            documents = [
                parse_bank_bytes(file.read_bytes(), filename=file.name.split("-", 1)[1])
                for file in sorted(folder.iterdir())
            ]
            # Validated again: the database (or the graders) may have changed since the preview.
            result = bank_import(
                documents=documents,
                dry_run=False,
                by=request.user,
                allow_active_html=options.get("allow_html", False),
            )
        except BankInvalid as exc:
            context["form"] = BankUploadForm()
            context["errors"] = exc.errors
            return TemplateResponse(request, "admin/courses/bankimport/upload.html", context)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        for plan in result.plans:
            counts = plan.counts()["items"]
            messages.success(
                request,
                f"Imported {plan.slug} from {plan.filename}: {counts['created']} items created, "
                f"{counts['updated']} updated, {counts['retired']} retired, "
                f"{counts['unchanged']} unchanged.",
            )
        assert result.record is not None
        return HttpResponseRedirect(
            reverse("admin:courses_bankimport_change", args=[result.record.pk])
        )
