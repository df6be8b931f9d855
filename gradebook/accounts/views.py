"""Account pages: joining a course by code (login, logout and password change are Django's)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gradebook.accounts.forms import JoinForm
from gradebook.accounts.services import JoinError, join_course


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            course, newly = join_course(student=request.user, code=form.cleaned_data["code"])
        except JoinError as error:
            form.add_error("code", error.message)
        else:
            if newly:
                messages.success(request, _("You joined %(course)s.") % {"course": course.title})
            else:
                messages.info(
                    request, _("You are already in %(course)s.") % {"course": course.title}
                )
            return redirect("course", slug=course.slug)
    return render(request, "accounts/join.html", {"form": form}, status=400 if form.errors else 200)
