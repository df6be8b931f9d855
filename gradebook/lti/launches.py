"""What an accepted launch does here: the account, the role, the enrolment and where to go.

Decisions written down here:

- A platform's user is one account here, found by the platform registration and the LTI
  ``sub`` (``LtiUser``), never by e-mail: two platforms, or two people who share an address,
  never land in the same account. A first launch creates the account (no password: it signs
  in through the LMS only).
- Roles come from the launch's context roles: Instructor (and its sub-roles such as
  TeachingAssistant) or Administrator make a teacher of the placed course; Learner makes a
  student enrolled in it. Any other role (Mentor, or none) is refused with a page that says so.
  The roles claim is signed by the platform: a changed role breaks the signature.
- A platform may place only the courses an administrator opened to it (``PlatformAccess``).
- A launch of a deployment the tool does not know is refused; django-lti records it as an
  inactive deployment, which an administrator can activate in the admin.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from lti_tool.lti_core.constants import ContextRole
from lti_tool.lti_core.utils import normalize_role
from lti_tool.models import LtiLaunch, LtiLineItem, LtiUser
from lti_tool.utils import sync_data_from_launch

from gradebook.accounts.roles import make_teacher
from gradebook.lti import targets
from gradebook.lti.models import CourseLink, Placement, PlatformAccess
from gradebook.lti.tool import CheckedLaunch, LaunchRefused

TEACHER = "teacher"
STUDENT = "student"

CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
PRESENTATION_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
PLATFORM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


@dataclass
class LaunchOutcome:
    """What the launch view does next: sign ``user`` in, remember the rest, redirect."""

    user: Any
    role: str
    redirect_to: str
    frame_origins: list[str]
    placement: Placement | None = None
    # For a deep-linking launch: what the content picker needs after the redirect.
    deep_link: dict[str, Any] | None = None
    # A resource link with no placement yet, which this instructor may now point somewhere.
    choose_link: int | None = None


def role_of(roles: list[str]) -> str | None:
    """``teacher``, ``student`` or None from the LTI roles claim (context roles only)."""
    normalized = [normalize_role(str(role)) for role in roles or []]
    teacher_bases = {ContextRole.INSTRUCTOR.value, ContextRole.ADMINISTRATOR.value}
    for role in normalized:
        # Sub-roles read ".../membership/Instructor#TeachingAssistant".
        if role in teacher_bases or role.startswith(
            (f"{_MEMBERSHIP}/Instructor#", f"{_MEMBERSHIP}/Administrator#")
        ):
            return TEACHER
    for role in normalized:
        if role == ContextRole.LEARNER.value or role.startswith(f"{_MEMBERSHIP}/Learner#"):
            return STUDENT
    return None


def launch_accept(checked: CheckedLaunch) -> LaunchOutcome:
    """Map an accepted launch to an account, a role and a page; ``LaunchRefused`` if it cannot.

    Everything it writes is in one transaction: a refused launch leaves nothing behind but the
    spent nonce and django-lti's record of an unknown deployment.
    """
    lti_launch = LtiLaunch(checked.message_launch)
    claims = checked.claims
    deployment = lti_launch.deployment
    if not deployment.is_active:
        raise LaunchRefused(
            "deployment",
            _(
                "This launch comes from a deployment of the platform that is not activated here "
                "(deployment id “%(id)s”). An administrator activates it in the admin, under the "
                "platform's LTI registration."
            )
            % {"id": deployment.deployment_id},
            detail=f"inactive deployment {deployment.pk}",
        )
    role = role_of(lti_launch.roles_claim or [])
    if role is None:
        raise LaunchRefused(
            "role",
            _(
                "Your role in this LMS course gives no access here: only learners and "
                "instructors can open this tool."
            ),
            detail=f"roles {lti_launch.roles_claim!r}",
        )
    is_deep_link = lti_launch.is_deep_link_launch
    if not is_deep_link and not lti_launch.is_resource_launch:
        raise LaunchRefused(
            "message_type",
            _("This tool does not handle that kind of launch."),
            detail=str(claims.get("https://purl.imsglobal.org/spec/lti/claim/message_type")),
            status=400,
        )
    if is_deep_link and role != TEACHER:
        raise LaunchRefused(
            "deep_link_role",
            _("Only instructors can choose content from this tool."),
            detail=f"roles {lti_launch.roles_claim!r}",
        )
    registration = lti_launch.registration
    with transaction.atomic():
        sync_data_from_launch(lti_launch)
        user = account_for(lti_launch.user, claims)
        outcome = LaunchOutcome(
            user=user,
            role=role,
            redirect_to="",
            frame_origins=frame_origins(registration, claims),
        )
        if is_deep_link:
            outcome.deep_link = _deep_link_session(lti_launch, claims)
            outcome.redirect_to = reverse("lti:deep_link")
            return outcome
        placement = _placement(lti_launch, claims)
        if placement is None:
            if role != TEACHER:
                raise LaunchRefused(
                    "unplaced",
                    _(
                        "Your teacher has not chosen yet what this link opens. Try again "
                        "later, or tell your teacher."
                    ),
                    detail=f"resource link {lti_launch.resource_link.pk} has no placement",
                    status=404,
                )
            outcome.choose_link = lti_launch.resource_link.pk
            outcome.redirect_to = reverse("lti:choose", args=[outcome.choose_link])
            return outcome
        join(placement, user, role)
        outcome.placement = placement
        if role == TEACHER:
            outcome.redirect_to = reverse("lti:placement", args=[placement.pk])
        else:
            outcome.redirect_to = placement.page_url()
            if placement.is_graded:
                # The LMS gets the student's current grade at once (they may have done the
                # work before the link existed); the refresh sends only what changed.
                from gradebook.lti import scores

                placement_id, student_id = placement.pk, user.pk
                transaction.on_commit(
                    lambda: scores.request_placement_refresh(placement_id, student_id),
                    robust=True,
                )
        return outcome


def join(placement: Placement, user: Any, role: str) -> None:
    """Enrol a learner in the placement's course, or make an instructor one of its teachers."""
    CourseLink.objects.get_or_create(context=placement.context, course=placement.course)
    if role == TEACHER:
        make_teacher(user)
        placement.course.teachers.add(user)
    else:
        placement.course.enroll(user)


def _username(registration: Any, sub: str, claims: dict[str, Any]) -> str:
    digest = hashlib.sha256(f"{registration.uuid}:{sub}".encode()).hexdigest()
    name = str(
        claims.get("name")
        or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name"))
    )
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:30]
    return f"{slug}-{digest[:8]}" if slug else f"lti-{digest[:12]}"


def account_for(lti_user: LtiUser, claims: dict[str, Any]) -> Any:
    """The account of this platform user: found by (registration, sub), made on first launch."""
    locked = LtiUser.objects.select_for_update().select_related("registration").get(pk=lti_user.pk)
    names = {
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
        "email": str(claims.get("email") or "")[:254],
    }
    if locked.auth_user_id is not None:
        user = locked.auth_user
        changed = [k for k, v in names.items() if v and getattr(user, k) != v]
        if changed:
            for key in changed:
                setattr(user, key, names[key])
            user.save(update_fields=changed)
        return user
    return _new_account(locked, claims, names)


def _new_account(locked: LtiUser, claims: dict[str, Any], names: dict[str, str]) -> Any:
    user_model = get_user_model()
    username = _username(locked.registration, locked.sub, claims)
    user = user_model(username=username, **names)
    user.set_unusable_password()
    user.save()
    locked.auth_user = user
    locked.save(update_fields=["auth_user", "datetime_modified"])
    return user


def frame_origins(registration: Any, claims: dict[str, Any]) -> list[str]:
    """Origins that may show our pages in a frame during this LTI session."""
    urls = [registration.issuer, registration.auth_url]
    presentation = claims.get(PRESENTATION_CLAIM) or {}
    urls.append(str(presentation.get("return_url") or ""))
    platform = claims.get(PLATFORM_CLAIM) or {}
    urls.append(str(platform.get("url") or ""))
    access = PlatformAccess.objects.filter(registration=registration).first()
    if access is not None:
        urls.extend(access.extra_origins())
    origins: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins


def _deep_link_session(lti_launch: LtiLaunch, claims: dict[str, Any]) -> dict[str, Any]:
    settings_claim = claims.get(DEEP_LINKING_CLAIM) or {}
    return {
        "registration": lti_launch.registration.pk,
        "deployment_id": lti_launch.deployment.deployment_id,
        "context": lti_launch.context.pk if lti_launch.context_claim else None,
        "return_url": str(settings_claim.get("deep_link_return_url") or ""),
        "accept_types": list(settings_claim.get("accept_types") or []),
        "accept_multiple": bool(settings_claim.get("accept_multiple")),
        "data": settings_claim.get("data"),
        "settings": settings_claim,
    }


def _placement(lti_launch: LtiLaunch, claims: dict[str, Any]) -> Placement | None:
    """The placement of the launched link, made or updated from its signed custom target."""
    link = lti_launch.resource_link
    custom = claims.get(CUSTOM_CLAIM) or {}
    code = str(custom.get(targets.CUSTOM_PARAM) or "").strip()
    placement = (
        Placement.objects.select_related("course", "lesson", "item")
        .filter(resource_link=link)
        .first()
    )
    if code and (placement is None or placement.target_code() != code):
        try:
            ref = targets.resolve(code, courses=targets.allowed_courses(lti_launch.registration))
        except targets.TargetError as exc:
            raise LaunchRefused(
                "target",
                _("This link opens something that is not available: %(reason)s")
                % {"reason": str(exc)},
                detail=code,
                status=404,
            ) from None
        placement = place(link, ref)
    if placement is None:
        return None
    allowed = targets.allowed_courses(lti_launch.registration)
    if not allowed.filter(pk=placement.course_id).exists():
        # An administrator closed the course to this platform after the link was placed.
        raise LaunchRefused(
            "target",
            _("This link opens a course that is no longer open to your LMS."),
            detail=f"course {placement.course_id} not in the platform's access",
            status=404,
        )
    ags = claims.get(AGS_CLAIM) or {}
    scopes = list(ags.get("scope") or [])
    if scopes != placement.ags_scopes:
        placement.ags_scopes = scopes
        placement.save(update_fields=["ags_scopes", "updated_at"])
    lineitem_url = str(ags.get("lineitem") or "")
    if lineitem_url and placement.is_graded:
        attach_line_item(placement, lineitem_url)
    return placement


def place(link: Any, ref: targets.TargetRef) -> Placement:
    """Make (or re-point) the placement of ``link`` at ``ref``."""
    # update_or_create: two first launches of a new link at once make one placement.
    placement, _created = Placement.objects.update_or_create(
        resource_link=link,
        defaults={
            "target": ref.kind,
            "course": ref.course,
            "lesson": ref.lesson,
            "item": ref.item,
        },
    )
    from gradebook.lti import placements

    transaction.on_commit(placements.forget)
    return placement


def attach_line_item(placement: Placement, url: str) -> LtiLineItem:
    """Record the LMS line item the placement's grades go to."""
    ref = targets.TargetRef(
        placement.target, placement.course, lesson=placement.lesson, item=placement.item
    )
    line_item, _created = LtiLineItem.objects.update_or_create(
        url=url,
        defaults={
            "context": placement.context,
            "resource_link": placement.resource_link,
            "maximum_score": ref.points(),
            "label": ref.title[:255],
            "resource_id": ref.code[:255],
            "tag": "gradebook",
            "start_datetime": None,
            "end_datetime": None,
        },
    )
    if placement.line_item_id != line_item.pk:
        placement.line_item = line_item
        placement.save(update_fields=["line_item", "updated_at"])
    return line_item
