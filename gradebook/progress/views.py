"""The dashboard: level, XP, achievements and each course's progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gradebook.accounts.roles import is_admin, is_teacher
from gradebook.grades.charts import xp_chart
from gradebook.grades.selectors import new_feedback_for
from gradebook.progress.levels import LEVELS
from gradebook.progress.services import TRY_FACTORS, XP_PER_POINT, dashboard_for


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "progress/dashboard.html",
        {
            "dash": dashboard_for(request.user),
            "levels": [(n, str(name), xp) for n, (xp, name) in enumerate(LEVELS)],
            "xp_per_point": XP_PER_POINT,
            "try_factors": [int(f * 100) for f in TRY_FACTORS],
            "is_teacher": is_teacher(request.user),
            "is_admin": is_admin(request.user),
            "new_feedback": new_feedback_for(request.user),
            "xp_chart": xp_chart(request.user),
        },
    )
