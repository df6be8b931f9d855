"""Who may open the LTI teacher pages: one helper per kind of object, as in the other apps.

A placement or LMS context is visible to the teachers of its course (superusers see all);
anyone else gets a 404, so nobody can probe which links exist.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from lti_tool.models import LtiResourceLink

from gradebook.lti.models import Placement


def _pk(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404("No such placement.") from None


def placement_for_teacher(user: Any, pk: Any) -> Placement:
    placement = (
        Placement.objects.select_related(
            "course",
            "lesson",
            "item",
            "line_item",
            "resource_link__context__deployment__registration",
        )
        .filter(pk=_pk(pk))
        .first()
    )
    if placement is None or not (user.is_superuser or placement.course.is_taught_by(user)):
        raise Http404("No such placement.")
    return placement


def link_for_instructor(request: Any, pk: Any) -> LtiResourceLink:
    """A resource link the signed-in instructor launched and that has no placement yet."""
    from gradebook.lti.views import SESSION_CHOOSE

    if _pk(pk) != request.session.get(SESSION_CHOOSE):
        raise Http404("No such link.")
    link = LtiResourceLink.objects.select_related("context__deployment__registration").filter(
        pk=_pk(pk)
    )
    found = link.first()
    if found is None:
        raise Http404("No such link.")
    return found
