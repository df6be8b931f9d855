"""The item editor (under /teach/): edit an item, or create one in a lesson, in the browser.

Each view checks access with ``gradebook.grades.access`` and hands the posted form to
``gradebook.courses.authoring``, which checks the spec as a bank import would and saves it as
a new revision. The preview endpoint answers the page's script while the teacher types: the
validator's errors and warnings and the item as a student will see it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gradebook.courses import authoring
from gradebook.courses.models import Course, Item, ItemType, Lesson
from gradebook.grades import access
from gradebook.quizzes.models import Attempt
from gradebook.ui.status import item_type_label


@login_required
def item_edit(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    item = access.item_for_teacher(request.user, slug, key)
    if item.is_retired:
        raise Http404("This item is retired; bring it back by importing its bank.")
    return _editor(request, course=item.course, lesson=item.lesson, item=item, base=item.spec)


@login_required
def item_new(request: HttpRequest, slug: str) -> HttpResponse:
    course = access.course_for_teacher(request.user, slug)
    params = request.POST if request.method == "POST" else request.GET
    lesson = _lesson(course, params.get("lesson", ""))
    kind = params.get("type", "")
    if kind not in ItemType.values:
        return render(
            request,
            "grades/item_new.html",
            {
                "course": course,
                "lesson": lesson,
                "types": [(t, item_type_label(t)) for t in ItemType.values],
            },
        )
    return _editor(
        request, course=course, lesson=lesson, item=None, base=authoring.starter_spec(kind)
    )


def _lesson(course: Course, slug: str) -> Lesson:
    lesson = course.active_lessons().filter(slug=slug).first()
    if lesson is None:
        raise Http404("No such lesson in this course.")
    return lesson


def _posted_spec(
    data: Any, base: dict[str, Any], mode: str
) -> tuple[dict[str, Any] | None, Any, list[authoring.Problem]]:
    if mode == "yaml":
        return authoring.spec_from_yaml(str(data.get("yaml", "")))
    return authoring.spec_from_form(base, data), None, []


def _editor(
    request: HttpRequest,
    *,
    course: Course,
    lesson: Lesson,
    item: Item | None,
    base: dict[str, Any],
) -> HttpResponse:
    default_mode = "form" if base.get("type") in authoring.FORM_TYPES else "yaml"
    mode = request.POST.get("mode") or request.GET.get("mode") or default_mode
    spec: dict[str, Any] | None = base
    check = authoring.Check()
    yaml_text = ""
    status = 200
    if request.method == "POST":
        spec, item_doc, problems = _posted_spec(request.POST, base, mode)
        yaml_text = str(request.POST.get("yaml", ""))
        action = request.POST.get("action", "save")
        if spec is None:
            check.errors = problems
            status = 400
        elif action == "add_part":
            spec = authoring.add_part(spec, str(request.POST.get("new_part_type", "")))
        elif action == "to_yaml":
            mode, yaml_text = "yaml", ""
        elif action == "to_form" and spec.get("type") in authoring.FORM_TYPES:
            mode = "form"
        elif action == "save":
            check = authoring.check_spec(
                spec, course=course, lesson=lesson, item=item, item_doc=item_doc
            )
            if check.ok:
                saved, changed = authoring.save_item(
                    course=course, lesson=lesson, spec=spec, by=request.user, item=item
                )
                if changed:
                    messages.success(
                        request,
                        _("Saved as revision %(n)d; the next export carries it.")
                        % {"n": saved.revision},
                    )
                else:
                    messages.info(request, _("Nothing changed, so no new revision was made."))
                return redirect(
                    reverse("grades:item_edit", args=[course.slug, saved.key]) + "?saved=1"
                )
            status = 400
    if mode == "yaml" and not yaml_text and spec is not None:
        yaml_text = authoring.item_yaml(spec)
    shown = spec if spec is not None else base
    answers = Attempt.objects.filter(item=item).count() if item is not None else 0
    return render(
        request,
        "grades/item_edit.html",
        {
            "course": course,
            "lesson": lesson,
            "item": item,
            "mode": mode,
            "form": authoring.form_view(shown),
            "yaml_text": yaml_text,
            "check": check,
            "preview_html": _preview_html(request, course, lesson, item, shown),
            "answers": answers,
            "just_saved": request.GET.get("saved") == "1",
            "type_label": item_type_label(str(shown.get("type", ""))),
            "tolerance_kinds": authoring.TOLERANCE_KINDS,
            "forms": authoring.FORMS,
            "part_types": [(t, item_type_label(t)) for t in authoring.PART_TYPES],
            "form_types": authoring.FORM_TYPES,
        },
        status=status,
    )


@login_required
@require_POST
def item_preview(request: HttpRequest, slug: str) -> JsonResponse:
    """What the editor's script shows while the teacher types: problems and the student's view."""
    course = access.course_for_teacher(request.user, slug)
    lesson = _lesson(course, str(request.POST.get("lesson", "")))
    key = str(request.POST.get("item", ""))
    item = None
    if key:
        item = access.item_for_teacher(request.user, slug, key)
    base = (
        item.spec if item is not None else authoring.starter_spec(str(request.POST.get("type", "")))
    )
    spec, item_doc, problems = _posted_spec(
        request.POST, base, str(request.POST.get("mode", "form"))
    )
    if spec is None:
        return JsonResponse(
            {"ok": False, "errors": [p.to_dict() for p in problems], "warnings": [], "html": ""}
        )
    check = authoring.check_spec(spec, course=course, lesson=lesson, item=item, item_doc=item_doc)
    return JsonResponse(
        {
            "ok": check.ok,
            "errors": [p.to_dict() for p in check.errors],
            "warnings": [p.to_dict() for p in check.warnings],
            "html": _preview_html(request, course, lesson, item, spec) if check.ok else "",
        }
    )


def _preview_html(
    request: HttpRequest, course: Course, lesson: Lesson, item: Item | None, spec: dict[str, Any]
) -> str:
    """The item as a student will see it (their first visit), or '' when it cannot be shown."""
    import graders
    from gradebook.courses.bank.importing import item_columns
    from gradebook.quizzes.presentation import student_item

    try:
        columns = item_columns(spec)
        draft = Item(
            pk=item.pk if item is not None else 0,
            course=course,
            lesson=lesson,
            key=str(spec.get("id") or "new"),
            spec=spec,
            **columns,
        )
        params = graders.variant(spec, 0) if spec.get("params") else {}
        payload = student_item(draft, params=params, seed=0)
    except (graders.InvalidSpec, ValueError, KeyError, TypeError, ArithmeticError):
        return ""
    payload.update(
        state={"attempts": 0, "attempts_left": draft.max_attempts, "correct": False, "done": False},
        anchor="item-preview",
        last_attempt=None,
        preview=True,
    )
    return render_to_string(
        "quizzes/_item.html", {"item": payload, "number": 1, "preview": True}, request=request
    )
