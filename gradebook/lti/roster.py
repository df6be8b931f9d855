"""The roster of an LMS course, synced on demand (Names and Role Provisioning Services).

A teacher asks for it on the placement page; a Celery task fetches every page of the context's
membership list and brings our side in line: an account per member (found by registration and
``sub``, as at launch), learners enrolled in every course linked to the context, instructors
made its teachers. Members the LMS reports as Inactive or Deleted are unenrolled (their answers
and grades are kept). People the list does not name are left alone: they may have joined with
a course code.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lti_tool.models import LtiContext, LtiUser
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService

from gradebook.accounts.roles import make_teacher
from gradebook.courses.models import Enrollment
from gradebook.lti.models import CourseLink, LaunchNonce, RosterStatus, RosterSync
from gradebook.lti.tool import CachedTokenConnector

log = logging.getLogger(__name__)


class RosterError(Exception):
    """A refused request for a roster sync; ``message`` is for the teacher."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def roster_request(*, context: LtiContext, by: Any) -> RosterSync:
    """Queue a roster sync of ``context`` unless one is already running."""
    from gradebook.lti.tasks import sync_roster

    if not context.memberships_url:
        raise RosterError(
            _(
                "The LMS did not offer its roster service for this course: enable Names and "
                "Role Provisioning Services for the tool in the LMS."
            )
        )
    with transaction.atomic():
        sync = RosterSync.objects.select_for_update().filter(context=context).first()
        if sync is not None and sync.is_active:
            raise RosterError(_("A roster sync of this course is already running."))
        sync = sync or RosterSync(context=context)
        sync.status = RosterStatus.QUEUED
        sync.requested_by = by if getattr(by, "pk", None) else None
        sync.requested_at = timezone.now()
        sync.finished_at = None
        sync.error = ""
        sync.save()
        context_id = context.pk
        transaction.on_commit(lambda: sync_roster.delay(context_id))
    return sync


def roster_sync(context_id: int) -> str:
    """Fetch and apply the roster; returns the final status. A duplicate delivery does nothing."""
    claimed = RosterSync.objects.filter(context_id=context_id, status=RosterStatus.QUEUED).update(
        status=RosterStatus.RUNNING
    )
    if not claimed:
        return "skipped"
    context = LtiContext.objects.select_related("deployment__registration").get(pk=context_id)
    try:
        members = _fetch(context)
        summary = _apply(context, members)
    except RosterError as exc:
        RosterSync.objects.filter(context_id=context_id).update(
            status=RosterStatus.FAILED, error=exc.message, finished_at=timezone.now()
        )
        return RosterStatus.FAILED
    RosterSync.objects.filter(context_id=context_id).update(
        status=RosterStatus.DONE, summary=summary, error="", finished_at=timezone.now()
    )
    return RosterStatus.DONE


def _fetch(context: LtiContext) -> list[dict[str, Any]]:
    service = NamesRolesProvisioningService(
        CachedTokenConnector(context.deployment.registration),
        {"context_memberships_url": context.memberships_url},
    )
    try:
        return list(service.get_members())
    except (LtiException, requests.RequestException) as exc:
        log.warning("roster of context %s: %s", context.pk, exc)
        raise RosterError(
            _("The LMS did not hand over the roster: %(error)s") % {"error": str(exc)[:300]}
        ) from None


def _apply(context: LtiContext, members: list[dict[str, Any]]) -> dict[str, int]:
    from gradebook.lti.launches import STUDENT, TEACHER, account_for, role_of

    registration = context.deployment.registration
    courses = [link.course for link in CourseLink.objects.filter(context=context)]
    counts = dict.fromkeys(
        ("members", "learners", "instructors", "new_accounts", "enrolled", "unenrolled"), 0
    )
    with transaction.atomic():
        context.update_memberships(members)
        subs = [str(m["user_id"]) for m in members if m.get("user_id")]
        lti_users = {
            u.sub: u for u in LtiUser.objects.filter(registration=registration, sub__in=subs)
        }
        for member in members:
            lti_user = lti_users.get(str(member.get("user_id") or ""))
            if lti_user is None:
                continue
            counts["members"] += 1
            role = role_of(list(member.get("roles") or []))
            new = lti_user.auth_user_id is None
            user = account_for(lti_user, member)
            counts["new_accounts"] += int(new)
            active = str(member.get("status") or "Active") == "Active"
            if role == TEACHER:
                counts["instructors"] += 1
                if active:
                    make_teacher(user)
                    for course in courses:
                        course.teachers.add(user)
            elif role == STUDENT:
                counts["learners"] += 1
                for course in courses:
                    if active:
                        _, created = Enrollment.objects.get_or_create(course=course, student=user)
                        counts["enrolled"] += int(created)
                    else:
                        deleted, _ = Enrollment.objects.filter(course=course, student=user).delete()
                        counts["unenrolled"] += int(bool(deleted))
    return counts


def nonces_purge(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Forget launch nonces older than any id_token could be (platforms sign for minutes)."""
    deleted, _ = LaunchNonce.objects.filter(seen_at__lt=timezone.now() - older_than).delete()
    return deleted
