"""Appeal pages: the student's request (from the feedback page) and the teachers' list and answer.

Thin: access from ``access``, rules in ``appeals``; a refused action re-renders the page it
came from with the message beside the field.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gradebook.grades import access, appeals
from gradebook.refusals import Refusal


@login_required
@require_POST
def appeal_open(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = access.attempt_for_student(request.user, pk)
    try:
        appeals.appeal_open(
            attempt=attempt, student=request.user, comment=request.POST.get("comment", "")
        )
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your appeal is with your teacher; their answer comes here."))
    return redirect(reverse("mygrades:feedback", args=[attempt.pk]) + "#appeals")


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    if state not in ("open", "kept", "changed", "all"):
        state = "open"
    rows = appeals.appeals_for_teacher(access.attempts_for_teacher(request.user), state=state)
    states = [
        ("open", _("Open")),
        ("kept", _("Grade kept")),
        ("changed", _("Grade changed")),
        ("all", _("All")),
    ]
    return render(
        request,
        "grades/appeals.html",
        {"appeals": rows[:200], "state": state, "states": states},
    )


@login_required
@require_POST
def appeal_answer(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = (
        appeals.appeals_for_teacher(access.attempts_for_teacher(request.user), state="all")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404("No such appeal.")
    try:
        appeals.appeal_answer(
            appeal=appeal,
            by=request.user,
            decision=request.POST.get("decision", ""),
            reply=request.POST.get("reply", ""),
            points=request.POST.get("points"),
        )
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Answered %(name)s's appeal.") % {"name": appeal.student.get_username()},
        )
    return redirect(reverse("grades:attempt", args=[appeal.attempt_id]) + "#appeals")
