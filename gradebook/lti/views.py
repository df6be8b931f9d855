"""LTI pages: OIDC login, launch, key set, content picker, and the teacher's placement page.

The login and launch endpoints are called by the LMS's page inside its iframe: they are exempt
from CSRF (the LMS posts them cross-site; the id_token's signature, state and nonce are the
protection) and from the X-Frame-Options header.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from lti_tool.models import Key
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoOIDCLogin
from pylti1p3.exception import LtiException, OIDCException

from gradebook.lti import access, deep_linking, launches, roster, scores, targets
from gradebook.lti.middleware import ANY_ORIGIN, SESSION_FRAME
from gradebook.lti.models import RosterSync, SyncStatus
from gradebook.lti.tool import LaunchRefused, ToolConfig, check_launch, signing_key

log = logging.getLogger(__name__)

#: What the content picker needs from the deep-linking launch.
SESSION_DEEP_LINK = "lti_deep_link"
#: A resource link with no placement that the signed-in instructor launched.
SESSION_CHOOSE = "lti_choose_link"

LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "lti_deployment_id",
    "client_id",
)
#: Set by the cookie check page when it continues; its absence shows the page.
CHECKED = "cookies"


def _refused(request: HttpRequest, refusal: LaunchRefused) -> HttpResponse:
    log.info("LTI launch refused (%s): %s", refusal.code, refusal.detail or refusal.message)
    response = render(request, "lti/refused.html", {"refusal": refusal}, status=refusal.status)
    response.lti_frame_ancestors = ANY_ORIGIN  # type: ignore[attr-defined]
    return response


@csrf_exempt
@xframe_options_exempt
@never_cache
def login(request: HttpRequest, registration_uuid: str | None = None) -> HttpResponse:
    """Third-party initiated login (OIDC): check cookies work, then send the browser to the
    platform's authorization endpoint with a fresh state and nonce."""
    params = request.POST if request.method == "POST" else request.GET
    forward = {key: params[key] for key in LOGIN_PARAMS if params.get(key)}
    if not forward.get("iss") or not forward.get("login_hint"):
        return _refused(
            request,
            LaunchRefused(
                "login",
                _(
                    "This address starts a sign-in from an LMS, and it was opened without the "
                    "LMS's parameters (iss and login_hint). Open the activity from your course "
                    "page in the LMS."
                ),
                status=400,
            ),
        )
    if params.get(CHECKED) != "checked":
        query = urlencode({**forward, CHECKED: "checked"})
        response = render(
            request, "lti/cookie_check.html", {"continue_url": f"{request.path}?{query}"}
        )
        response.lti_frame_ancestors = ANY_ORIGIN  # type: ignore[attr-defined]
        return response
    oidc = DjangoOIDCLogin(
        request,
        ToolConfig(registration_uuid),
        launch_data_storage=DjangoCacheDataStorage(),
    )
    try:
        return oidc.redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (OIDCException, LtiException) as exc:
        return _refused(
            request,
            LaunchRefused(
                "registration",
                _(
                    "The platform that started this sign-in is not registered here (issuer "
                    "“%(issuer)s”, client id “%(client)s”). An administrator registers platforms "
                    "in the admin under LTI registrations."
                )
                % {"issuer": forward.get("iss", ""), "client": forward.get("client_id", "")},
                detail=str(exc),
            ),
        )


@csrf_exempt
@xframe_options_exempt
@never_cache
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """The platform's form post of a signed id_token: resource links and deep-linking requests."""
    try:
        checked = check_launch(request)
        outcome = launches.launch_accept(checked)
    except LaunchRefused as refusal:
        return _refused(request, refusal)
    auth_login(request, outcome.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_FRAME] = outcome.frame_origins
    if outcome.deep_link is not None:
        request.session[SESSION_DEEP_LINK] = outcome.deep_link
    if outcome.choose_link is not None:
        request.session[SESSION_CHOOSE] = outcome.choose_link
    return redirect(outcome.redirect_to)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys (JWKS), for platforms to check what we sign."""
    signing_key()
    response = JsonResponse(Key.objects.as_jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response


def _picker(request: HttpRequest, *, registration: Any, action: str, title: str) -> HttpResponse:
    courses = targets.allowed_courses(registration)
    return render(
        request,
        "lti/picker.html",
        {"catalogue": targets.catalogue(courses), "action": action, "title": title},
    )


@login_required
@never_cache
def deep_link(request: HttpRequest) -> HttpResponse:
    """The content picker of a deep-linking launch; posting it returns the choice to the LMS."""
    session = request.session.get(SESSION_DEEP_LINK)
    if not session:
        return _refused(
            request,
            LaunchRefused(
                "deep_link_session",
                _(
                    "There is no content selection in progress. Start it again from the LMS "
                    "(“add an activity” or “external tool”)."
                ),
                status=400,
            ),
        )
    from lti_tool.models import LtiRegistration

    registration = LtiRegistration.objects.get(pk=session["registration"])
    if request.method != "POST":
        return _picker(
            request,
            registration=registration,
            action=reverse("lti:deep_link"),
            title=_("Choose what to place in your LMS course"),
        )
    try:
        ref = targets.resolve(
            request.POST.get("target", ""), courses=targets.allowed_courses(registration)
        )
        token = deep_linking.response_jwt(
            session, [ref], launch_url=request.build_absolute_uri(reverse("lti:launch"))
        )
    except (targets.TargetError, deep_linking.DeepLinkError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
        return redirect("lti:deep_link")
    del request.session[SESSION_DEEP_LINK]
    response = render(
        request, "lti/deep_link_return.html", {"return_url": session["return_url"], "jwt": token}
    )
    # This page's form posts to the LMS: a Content-Security-Policy (django-csp, which reads
    # this attribute) must let it, on this page only.
    parts = urlsplit(session["return_url"])
    response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # type: ignore[attr-defined]
    return response


@login_required
@never_cache
def choose(request: HttpRequest, link_id: int) -> HttpResponse:
    """An instructor points a link the LMS made by hand (no deep linking) at our content."""
    link = access.link_for_instructor(request, link_id)
    registration = link.context.deployment.registration
    if request.method != "POST":
        return _picker(
            request,
            registration=registration,
            action=reverse("lti:choose", args=[link.pk]),
            title=_("Choose what this LMS link opens"),
        )
    try:
        ref = targets.resolve(
            request.POST.get("target", ""), courses=targets.allowed_courses(registration)
        )
    except targets.TargetError as exc:
        messages.error(request, str(exc))
        return redirect("lti:choose", link_id=link.pk)
    placement = launches.place(link, ref)
    launches.join(placement, request.user, launches.TEACHER)
    del request.session[SESSION_CHOOSE]
    return redirect("lti:placement", pk=placement.pk)


@login_required
def placement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """For the course's teachers: what the link opens, its scores on their way, the roster."""
    placement = access.placement_for_teacher(request.user, pk)
    counts = {status: 0 for status in SyncStatus.values}
    for row in placement.score_syncs.values("status"):
        counts[row["status"]] += 1
    failed = placement.score_syncs.filter(status=SyncStatus.FAILED).select_related("student")[:20]
    stuck = (
        placement.score_syncs.filter(status=SyncStatus.PENDING)
        .exclude(last_error="")
        .select_related("student")[:20]
    )
    return render(
        request,
        "lti/placement.html",
        {
            "placement": placement,
            "context": placement.resource_link.context,
            "counts": counts,
            "failed": failed,
            "stuck": stuck,
            "roster": RosterSync.objects.filter(context=placement.resource_link.context).first(),
        },
    )


@login_required
@require_POST
def roster_sync(request: HttpRequest, pk: int) -> HttpResponse:
    placement = access.placement_for_teacher(request.user, pk)
    try:
        roster.roster_request(context=placement.resource_link.context, by=request.user)
    except roster.RosterError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The roster is being fetched from the LMS."))
    return redirect("lti:placement", pk=placement.pk)


@login_required
@require_POST
def scores_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send again the scores the LMS refused (after the teacher fixed the cause in the LMS)."""
    placement = access.placement_for_teacher(request.user, pk)
    count = scores.scores_retry_failed(placement)
    messages.success(request, _("%(count)s scores are being sent again.") % {"count": count})
    return redirect("lti:placement", pk=placement.pk)
