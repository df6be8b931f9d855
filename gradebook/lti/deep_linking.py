"""Deep Linking: a teacher in the LMS picks a course, lesson or item of ours to place.

The platform opens our content picker with an ``LtiDeepLinkingRequest`` launch; the teacher's
choice goes back as an ``LtiDeepLinkingResponse``: a JWT signed with our key, auto-posted by
the browser to the platform's return URL. Each content item is an ``ltiResourceLink`` to our
launch URL whose custom parameter names the target (``targets``), and, for a lesson or an item,
a ``lineItem`` so the LMS makes a gradebook column the scores go to.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from lti_tool.models import LtiRegistration
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from gradebook.lti.targets import CUSTOM_PARAM, TargetRef
from gradebook.lti.tool import tool_registration

RESOURCE_LINK = "ltiResourceLink"


class DeepLinkError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def content_item(ref: TargetRef, *, launch_url: str) -> DeepLinkResource:
    """The ``ltiResourceLink`` that places ``ref`` (with a line item when it is graded)."""
    resource = (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(ref.title)
        .set_custom_params({CUSTOM_PARAM: ref.code})
    )
    if ref.is_graded:
        resource.set_lineitem(
            LineItem()
            .set_score_maximum(ref.points())
            .set_label(ref.title)
            .set_resource_id(ref.code)
            .set_tag("gradebook")
        )
    return resource


def response_jwt(session: dict[str, Any], refs: list[TargetRef], *, launch_url: str) -> str:
    """The signed ``LtiDeepLinkingResponse`` placing ``refs``, for the platform's return URL."""
    accept = session.get("accept_types") or [RESOURCE_LINK]
    if RESOURCE_LINK not in accept:
        raise DeepLinkError(
            _("This place in the LMS accepts %(types)s only; this tool makes LTI links.")
            % {"types": ", ".join(accept)}
        )
    if len(refs) > 1 and not session.get("accept_multiple"):
        raise DeepLinkError(_("This place in the LMS takes one item at a time: choose one."))
    registration = LtiRegistration.objects.get(pk=session["registration"])
    deep_link = DeepLink(
        tool_registration(registration), session["deployment_id"], session["settings"]
    )
    return deep_link.get_response_jwt([content_item(ref, launch_url=launch_url) for ref in refs])
