"""Exercise pages: the form, the submission page with live job state, reflection and retry.

Views stay thin: check access (``exercises.access``), call one service, render or redirect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exercises import access, services
from exercises.storage import serve_output
from exercises.validation import ExerciseInputError, bounds_for, exercise_models
from gradebook.quizzes import access as quiz_access
from gradebook.refusals import Refusal


def settings_from_post(spec: dict[str, Any], data: Any) -> dict[str, dict[str, Any]]:
    """Form fields ``text_temperature``, ``image_steps``... -> nested settings (blank = default)."""
    settings: dict[str, dict[str, Any]] = {}
    for kind in exercise_models(spec):
        values = {}
        for name in bounds_for(spec, kind):
            raw = data.get(f"{kind}_{name}", "")
            if raw != "":
                values[name] = raw
        settings[kind] = values
    return settings


@login_required
def exercise_form(request: HttpRequest, item_id: int) -> HttpResponse:
    """GET: the form alone. POST: submit it; errors re-render it with the values kept."""
    item = quiz_access.item_for_student(request.user, item_id)
    errors: dict[str, str] = {}
    status, retry_after = 200, None
    if request.method == "POST":
        try:
            submission = services.exercise_submit(
                student=request.user,
                item=item,
                prompt=request.POST.get("prompt", ""),
                reflection=request.POST.get("reflection", ""),
                settings_in=settings_from_post(item.spec, request.POST),
                idempotency_key=request.POST.get("idempotency_key") or None,
            )
        except Refusal as error:
            errors, status, retry_after = error.errors, error.status, error.retry_after
        else:
            return redirect("exercises:submission", submission.pk)
    response = render(
        request,
        "exercises/form.html",
        {"exercise_item": item, "errors": errors, "values": request.POST},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_GET
def submission_page(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for_user(request.user, submission_id)
    return render(
        request,
        "exercises/submission.html",
        {
            "submission": submission,
            "is_owner": submission.attempt.student_id == request.user.pk,
            "lesson_url": reverse(
                "lesson", args=[submission.item.course.slug, submission.item.lesson.slug]
            ),
        },
    )


@login_required
@require_GET
def submission_status(request: HttpRequest, submission_id: int) -> JsonResponse:
    """The small JSON the submission page polls while jobs are queued or running."""
    submission = access.submission_for_user(request.user, submission_id)
    response = JsonResponse(services.submission_state(submission))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def submission_reflection(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for_owner(request.user, submission_id)
    try:
        services.submission_reflect(
            submission=submission, reflection=request.POST.get("reflection", "")
        )
    except ExerciseInputError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Reflection saved."))
    return redirect("exercises:submission", submission.pk)


@login_required
@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access.job_for_user(request.user, job_id)
    try:
        services.job_retry(job=job)
    except ExerciseInputError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The generation was queued again."))
    return redirect("exercises:submission", job.submission_id)


@login_required
@require_POST
def job_rerun(request: HttpRequest, job_id: int) -> HttpResponse:
    """Re-run a finished job and compare (a teacher, or its student once they appealed)."""
    from exercises.reruns import rerun_request

    job = access.job_for_user(request.user, job_id)
    try:
        rerun_request(job=job, by=request.user)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The re-run is queued; its verdict appears here."))
    back = request.POST.get("next") or ""
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back + "#reruns")
    return redirect(reverse("exercises:submission", args=[job.submission_id]) + "#reruns")


@login_required
@require_GET
def output_file(request: HttpRequest, output_id: int, name: str) -> HttpResponseBase:
    """A generated image, frame or text file, to the student who made it and the course's
    teachers only (the attempt's rule); a 404 for everyone else."""
    output = access.output_for_user(request.user, output_id)
    if name != output.filename:
        raise Http404("No such output.")
    return serve_output(output.file.name, download_name=output.filename)


@login_required
@require_GET
def my_submissions(request: HttpRequest) -> HttpResponse:
    submissions = access.submissions_for_user(request.user).prefetch_related("jobs")[:100]
    return render(request, "exercises/list.html", {"submissions": submissions})


MODEL_CARD = Path(__file__).resolve().parent.parent / "docs" / "image-model.md"


@login_required
@require_GET
def image_model_card(request: HttpRequest) -> HttpResponse:
    """The course image model's card (docs/image-model.md), linked from every image output."""
    from django.conf import settings

    from gradebook.courses.rendering import render_markdown

    text = MODEL_CARD.read_text(encoding="utf-8")
    # The card's figures live in static/ so they show both on GitHub and here.
    text = text.replace("](../static/", f"]({settings.STATIC_URL}")
    return render(request, "exercises/model_card.html", {"card": render_markdown(text)})
