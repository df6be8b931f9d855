"""Pages inside the LMS's iframe: during an LTI session, the registered platform may frame us.

Everywhere else the site refuses to be framed (``X_FRAME_OPTIONS = "DENY"``, and any
``frame-ancestors`` a Content-Security-Policy sets). For a session that began with a launch,
this middleware drops X-Frame-Options and sets CSP ``frame-ancestors`` to ``'self'`` and the
origins the launch named (the issuer, the platform's URL, its return URL, and what an
administrator added), replacing any ``frame-ancestors`` already in the policy and keeping the
rest of it. It sits first in ``MIDDLEWARE`` so it sees the response last.

The pages of a sign-in that has not happened yet (the cookie check, a refused launch) say who
may frame them on the response itself (``response.lti_frame_ancestors``): any origin, since
they hold nothing to hijack and must show their message inside whatever LMS opened them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SESSION_FRAME = "lti_frame_origins"
CSP = "Content-Security-Policy"


#: What a page outside any session may be framed by (``response.lti_frame_ancestors``).
ANY_ORIGIN = ["*"]


def frame_policy(policy: str, origins: list[str]) -> str:
    """``policy`` with its ``frame-ancestors`` directive replaced by one allowing ``origins``."""
    sources = ["*"] if "*" in origins else ["'self'", *origins]
    directive = "frame-ancestors " + " ".join(sources)
    kept = [
        part.strip()
        for part in policy.split(";")
        if part.strip() and not part.strip().lower().startswith("frame-ancestors")
    ]
    return "; ".join([*kept, directive])


class LtiFrameMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        origins = getattr(response, "lti_frame_ancestors", None) or self._session_origins(request)
        if not origins:
            return response
        if "X-Frame-Options" in response:
            del response["X-Frame-Options"]
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
        response[CSP] = frame_policy(response.get(CSP, ""), list(origins))
        return response

    @staticmethod
    def _session_origins(request: HttpRequest) -> list[str]:
        session = getattr(request, "session", None)
        # Only sessions that carry a cookie can be LTI sessions: API calls with a token never
        # load a session here.
        if session is None or session.session_key is None:
            return []
        return list(session.get(SESSION_FRAME) or [])
