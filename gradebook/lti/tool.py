"""The protocol side: checking a launch, and talking to a platform's services.

pylti1p3 does the checks of an id_token (state, nonce, registration, signature, expiry,
deployment, message claims); this module wraps it with what a production tool needs on top:

- every outbound request (key sets, tokens, scores, rosters) has a timeout, so a platform that
  hangs cannot hang a web worker;
- the platform's key set is cached for ``LTI_KEYSET_CACHE_S`` and fetched again once when a
  token names a key the cached set lacks (the platform rotated its keys);
- a launch's nonce is used once: pylti1p3 only checks that the nonce was issued, so the same
  id_token posted twice would pass; ``LaunchNonce`` refuses the second;
- a refused launch raises ``LaunchRefused`` with a message a person can act on, never a 500;
- access tokens for the platform's services are cached until shortly before they expire,
  shared by every worker through the cache, so scores do not cost a token request each.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from lti_tool.models import Key, LtiRegistration
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from gradebook.lti.models import LaunchNonce

log = logging.getLogger(__name__)

AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
AGS_LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_LINEITEM_READ_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


class TimeoutSession(requests.Session):
    """A requests session whose calls time out after ``LTI_HTTP_TIMEOUT_S`` unless told."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT_S)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    session = TimeoutSession()
    session.headers["User-Agent"] = "gradebook-lti/1.0"
    return session


def signing_key() -> Key:
    """The tool's newest active key (made on first use: a fresh install has none)."""
    key = Key.objects.active().order_by("-datetime_created", "-id").first()
    if key is None:
        key = Key.objects.generate()
    return key


def tool_registration(registration: LtiRegistration) -> Registration:
    """pylti1p3's view of a registration, signing with our newest key."""
    signing_key()
    return registration.to_registration()


# --- Checking a launch --------------------------------------------------------------------------


class LaunchRefused(Exception):
    """A launch we will not accept. ``message`` is for the person in front of the browser."""

    def __init__(self, code: str, message: str, *, detail: str = "", status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status


def _refusal(exc: Exception, claims: dict[str, Any]) -> LaunchRefused:
    """Turn pylti1p3's exception into a refusal that says what went wrong and what to do.

    pylti1p3 raises one exception class with a message per check; the messages of the pinned
    version are matched here, and the tests launch each kind of bad token to keep them matched.
    """
    detail = str(exc)
    issuer = str(claims.get("iss", ""))
    aud = claims.get("aud")
    client_id = str(aud[0] if isinstance(aud, list) and aud else aud or "")
    blocked_cookie = detail.startswith("Missing") and "cookie" in detail
    if blocked_cookie or detail in ("State not found", "Missing state param", "Invalid Nonce"):
        return LaunchRefused(
            "session",
            _(
                "This launch could not be matched to the sign-in your browser started a moment "
                "ago. Either your browser blocks the cookies this tool needs inside your course "
                "page, or the launch is older than a few minutes. Open the activity again from "
                "your course page; if this keeps happening, allow cookies for this site or open "
                "the activity in a new window."
            ),
            detail=detail,
        )
    if detail.startswith(("Registration not found", "Client id not registered")):
        return LaunchRefused(
            "registration",
            _(
                "This launch is addressed to a platform registration that does not exist here "
                "(issuer “%(issuer)s”, client id “%(client)s”). An administrator registers "
                "platforms in the admin under LTI registrations."
            )
            % {"issuer": issuer, "client": client_id},
            detail=detail,
        )
    if "expired" in detail.lower():
        return LaunchRefused(
            "expired",
            _(
                "This launch has expired: it was signed too long ago to be accepted. Open the "
                "activity again from your course page."
            ),
            detail=detail,
        )
    if detail.startswith(("Can't decode id_token", "Unable to find public key", "JWT KID")):
        return LaunchRefused(
            "signature",
            _(
                "This launch's signature does not match the keys of the platform that "
                "supposedly sent it, so nothing in it can be trusted and it was refused."
            ),
            detail=detail,
        )
    if detail.startswith(("Error during fetch URL", "Invalid response from")):
        return LaunchRefused(
            "keyset",
            _(
                "The platform's public keys could not be fetched, so the launch could not be "
                "checked. Try again in a minute; if it persists, an administrator should check "
                "the key set URL of the registration."
            ),
            detail=detail,
            status=502,
        )
    return LaunchRefused(
        "invalid",
        _("This launch message is not valid LTI 1.3: %(detail)s") % {"detail": detail},
        detail=detail,
        status=400,
    )


class ToolConfig(DjangoToolConfig):
    """django-lti's registration lookup, signing with a key made on first use."""

    def find_registration_by_params(self, iss: str, client_id: Any, *args: Any, **kw: Any) -> Any:
        signing_key()
        return super().find_registration_by_params(iss, client_id, *args, **kw)

    def find_registration_by_issuer(self, iss: str, *args: Any, **kw: Any) -> Any:
        signing_key()
        return super().find_registration_by_issuer(iss, *args, **kw)


class _MessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch, with a cached key set that is fetched again after a rotation."""

    def fetch_public_key(self, key_set_url: str) -> Any:
        key = "lti:keyset:" + hashlib.sha256(key_set_url.encode()).hexdigest()
        if not getattr(self, "_keyset_refetch", False):
            cached = cache.get(key)
            if cached:
                return cached
        try:
            response = self._requests_session.get(key_set_url)
            response.raise_for_status()
            keys = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise LtiException(f"Error during fetch URL {key_set_url}: {exc}") from exc
        cache.set(key, keys, settings.LTI_KEYSET_CACHE_S)
        return keys

    def get_public_key(self) -> Any:
        try:
            return super().get_public_key()
        except LtiException as exc:
            if str(exc) != "Unable to find public key" or getattr(self, "_keyset_refetch", False):
                raise
            # The token names a key our cached set lacks: the platform may have rotated.
            self._keyset_refetch = True
            assert self._registration is not None
            self._registration.set_key_set(None)
            return super().get_public_key()


@dataclass
class CheckedLaunch:
    """A launch that passed every check: its claims and the launch object django-lti wraps."""

    message_launch: Any
    claims: dict[str, Any]
    tool_config: Any


def _unverified_claims(request: Any) -> dict[str, Any]:
    """The id_token's claims before any check, only to word a refusal (never trusted)."""
    token = request.POST.get("id_token", "")
    try:
        body = token.split(".")[1]
        return json.loads(DjangoMessageLaunch.urlsafe_b64decode(body))
    except Exception:
        return {}


def check_launch(request: Any) -> CheckedLaunch:
    """Validate the id_token posted to the launch URL; raise ``LaunchRefused`` if it fails.

    Order of the checks (pylti1p3): state (our cookie), JWT format, nonce issued by us,
    registration (issuer + audience), RS256 signature and expiry against the platform's key
    set, deployment, message claims; then (here) the nonce is spent, so a replay fails.
    """
    tool_config = ToolConfig()
    try:
        # Under HTTPS the constructor already needs the sign-in's session cookie.
        message_launch = _MessageLaunch(
            request,
            tool_config,
            launch_data_storage=DjangoCacheDataStorage(),
            requests_session=http_session(),
        )
        message_launch.validate()
    except LtiException as exc:
        raise _refusal(exc, _unverified_claims(request)) from None
    claims = message_launch.get_launch_data()
    _spend_nonce(str(claims["iss"]), str(claims["nonce"]))
    return CheckedLaunch(message_launch=message_launch, claims=claims, tool_config=tool_config)


def _spend_nonce(issuer: str, nonce: str) -> None:
    try:
        with transaction.atomic():
            LaunchNonce.objects.create(issuer=issuer, nonce=nonce)
    except IntegrityError:
        raise LaunchRefused(
            "replayed",
            _(
                "This launch was already used once, so it was refused: a launch link works "
                "only once. Open the activity again from your course page."
            ),
            detail=f"nonce {nonce!r} of {issuer} seen before",
        ) from None


# --- Calling the platform's services --------------------------------------------------------------


class CachedTokenConnector(ServiceConnector):
    """pylti1p3's service connector with access tokens cached across processes.

    A platform hands out tokens valid for ``expires_in`` seconds (an hour, typically); asking
    for one per score would double the requests and run into platforms' rate limits.
    """

    def __init__(self, registration: LtiRegistration) -> None:
        super().__init__(tool_registration(registration), http_session())
        self._cache_prefix = f"lti:token:{registration.pk}:"

    def _token_key(self, scopes: Any) -> str:
        joined = "|".join(sorted(scopes))
        return self._cache_prefix + hashlib.sha256(joined.encode()).hexdigest()

    def get_access_token(self, scopes: Any) -> str:
        """The client-credentials grant of LTI Advantage (a JWT signed with our key)."""
        key = self._token_key(scopes)
        token = cache.get(key)
        if token:
            return token
        registration = self._registration
        client_id = str(registration.get_client_id())
        token_url = str(registration.get_auth_token_url())
        now = int(time.time())
        assertion = self.encode_jwt(
            {
                "iss": client_id,
                "sub": client_id,
                "aud": registration.get_auth_audience() or token_url,
                "iat": now - 5,
                "exp": now + 60,
                "jti": "gradebook-" + uuid.uuid4().hex,
            },
            str(registration.get_tool_private_key()),
            {"kid": registration.get_kid() or ""},
        )
        response = self._requests_session.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                "client_assertion": assertion,
                "scope": " ".join(sorted(scopes)),
            },
        )
        if not response.ok:
            raise LtiServiceException(response)
        body = response.json()
        token = str(body["access_token"])
        ttl = int(body.get("expires_in") or 3600) - 60
        if ttl > 0:
            cache.set(key, token, ttl)
        return token

    def forget_token(self, scopes: Any) -> None:
        """Drop a cached token the platform refused (revoked, or its keys changed)."""
        cache.delete(self._token_key(scopes))
