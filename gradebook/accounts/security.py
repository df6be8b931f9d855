"""Login protection and API token lifetime.

Wrong passwords are counted by django-axes (settings ``AXES_*``): this module gives it the
client's address, the reply to a locked-out attempt (429 with ``Retry-After``, JSON on the
API), and a backend that leaves request-less ``authenticate()`` calls (shell, scripts, tests'
``Client.login``) alone: every web login path passes its request.

API tokens (DRF's ``Token`` rows) expire ``API_TOKEN_TTL_S`` after they were issued, and are
deleted when their user logs out or changes password, so a leaked token dies with the session
that leaked it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from gradebook.refusals import Refusal


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for web logins; code that calls ``authenticate()`` without a
    request (it has no address to count) goes on to the next backend."""

    def authenticate(self, request: Any, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)  # type: ignore[no-any-return]


def client_ip(request: Any) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with ``NUM_PROXIES`` trusted proxies in front,
    the address the outermost of them saw (as DRF's throttles read it)."""
    meta = request.META
    proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [part.strip() for part in forwarded.split(",") if part.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return meta.get("REMOTE_ADDR") or None


def _retry_after_seconds(request: Any) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds())) if cool_off else 3600


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """429 with ``Retry-After``: the error body on the API, a page elsewhere."""
    seconds = _retry_after_seconds(request)
    minutes = max(1, math.ceil(seconds / 60))
    message = _(
        "Too many wrong passwords for this account from your address. "
        "Try again in %(minutes)s minutes, or ask a teacher to reset your password."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        # Imported here: api_errors imports DRF's views, whose settings import this module.
        from gradebook.api_errors import refusal_body

        refusal = Refusal(message, code="locked_out", status=429, retry_after=seconds)
        response: HttpResponse = JsonResponse(refusal_body(refusal), status=refusal.status)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": message, "detail": get_lockout_message()},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response


# --- API tokens ------------------------------------------------------------------------------


def token_ttl() -> timedelta:
    return timedelta(seconds=settings.API_TOKEN_TTL_S)


def token_expires_at(token: Token) -> datetime:
    return token.created + token_ttl()


def token_is_expired(token: Token, *, now: datetime | None = None) -> bool:
    return token_expires_at(token) <= (now or timezone.now())


def token_issue(user: Any) -> Token:
    """The user's live token, or a new one in place of an expired one."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and token_is_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def tokens_revoke(user: Any) -> int:
    """Delete every API token of ``user``; returns how many there were."""
    deleted, _ = Token.objects.filter(user_id=user.pk).delete()
    return deleted


@receiver(user_logged_out, dispatch_uid="accounts.revoke_tokens_on_logout")
def _revoke_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk:
        tokens_revoke(user)


def revoke_on_password_change(
    sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
) -> None:
    """Whatever changed the password (the password page, the admin, ``changepassword``, a
    script's ``set_password``), the tokens issued under the old one stop working.

    Connected for the user model only (``AccountsConfig.ready``): a receiver for every model
    would also listen to ``Attempt``, whose hot-path insert skips signals on purpose.
    """
    if instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return  # the login's last_login update, and other partial saves: no query
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        tokens_revoke(instance)
