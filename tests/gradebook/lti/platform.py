"""A small LTI 1.3 platform (the LMS side of the protocol) served on 127.0.0.1 for the tests.

It is a real protocol peer, not a mock of the tool's checks: an RSA key pair and a JWKS
endpoint; an OIDC authorization endpoint that checks the tool's login redirect and answers
with an RS256-signed id_token in a form post; a token endpoint that verifies the tool's
client-credentials JWT against the tool's own JWKS; Assignment and Grade Services (line items,
scores that keep the latest timestamp, results); Names and Role Provisioning Services with
paging; and a deep-linking return endpoint that verifies the tool's signed response and
creates the resource links and line items it asks for. A ``ThreadingHTTPServer`` runs it in a
thread of the test process; the tool reaches it over real HTTP (``requests``).

The tests play the browser: ``Browser`` carries cookies to the tool through Django's test
client and follows the redirects to this platform over HTTP, as a browser in the LMS's iframe
would.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = ROLE + "Learner"
INSTRUCTOR = ROLE + "Instructor"
MENTOR = ROLE + "Mentor"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READ_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = [LINEITEM_SCOPE, LINEITEM_READ_SCOPE, SCORE_SCOPE, RESULT_SCOPE]

_KEYS: dict[str, JWK] = {}


def rsa_key(name: str) -> JWK:
    """An RSA key pair made once per test session (2048-bit keys take a while to make)."""
    if name not in _KEYS:
        _KEYS[name] = JWK.generate(kty="RSA", size=2048, kid=f"{name}-{uuid.uuid4().hex[:8]}")
    return _KEYS[name]


@dataclass
class Person:
    sub: str
    name: str
    given_name: str
    family_name: str
    email: str
    roles: list[str]
    status: str = "Active"


@dataclass
class LineItem:
    id: str
    label: str
    score_maximum: float
    resource_id: str = ""
    resource_link_id: str = ""
    tag: str = ""
    # userId -> the score the platform keeps (the one with the latest timestamp)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "scoreMaximum": self.score_maximum,
        }
        for key, value in (
            ("resourceId", self.resource_id),
            ("resourceLinkId", self.resource_link_id),
            ("tag", self.tag),
        ):
            if value:
                data[key] = value
        return data


@dataclass
class ResourceLink:
    id: str
    title: str
    custom: dict[str, str]
    line_item: str | None = None


class PlatformError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Platform:
    """One LMS with one course (context), one tool registration and one deployment."""

    def __init__(self, tool_base: str = "http://testserver") -> None:
        self.key = rsa_key("platform")
        self.tool_base = tool_base
        self.client_id = "gradebook-tool-" + uuid.uuid4().hex[:6]
        self.deployment_id = "deployment-1"
        self.context_id = "course-101"
        self.context_title = "Generative AI 101"
        self.people: dict[str, Person] = {}
        self.links: dict[str, ResourceLink] = {}
        self.line_items: dict[str, LineItem] = {}
        self.tokens: dict[str, set[str]] = {}
        self.used_jtis: set[str] = set()
        self.messages: dict[str, dict[str, Any]] = {}
        # Every POST of a score that reached the AGS endpoint, accepted or not: (line item,
        # payload, HTTP status answered).
        self.score_posts: list[tuple[str, dict[str, Any], int]] = []
        self.deep_link_responses: list[dict[str, Any]] = []
        self.tool_jwks: dict[str, Any] = {"keys": []}
        self.down = False  # answer 503 on the token and service endpoints
        self.refuse_scores_with: int | None = None  # answer this status to score posts
        self.members_page_size = 50
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle and addresses -----------------------------------------------------------

    def start(self) -> Platform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return self.base

    @property
    def auth_url(self) -> str:
        return self.base + "/auth"

    @property
    def token_url(self) -> str:
        return self.base + "/token"

    @property
    def keyset_url(self) -> str:
        return self.base + "/jwks"

    @property
    def lineitems_url(self) -> str:
        return f"{self.base}/contexts/{self.context_id}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.base}/contexts/{self.context_id}/memberships"

    # --- the LMS's own data ----------------------------------------------------------------

    def person(self, login: str, *, role: str = LEARNER, name: str = "", email: str = "") -> Person:
        given, _, family = (name or login.title()).partition(" ")
        person = Person(
            sub="sub-" + uuid.uuid4().hex[:10],
            name=name or login.title(),
            given_name=given,
            family_name=family,
            email=email or f"{login}@lms.example",
            roles=[role],
        )
        self.people[login] = person
        return person

    def link(
        self, title: str, *, custom: dict[str, str] | None = None, graded: float | None = None
    ) -> ResourceLink:
        link = ResourceLink(id="rl-" + uuid.uuid4().hex[:8], title=title, custom=custom or {})
        if graded is not None:
            item = self.add_line_item(title, graded, resource_link_id=link.id)
            link.line_item = item.id
        self.links[link.id] = link
        return link

    def add_line_item(self, label: str, maximum: float, **extra: str) -> LineItem:
        item_id = f"{self.base}/lineitems/li-{uuid.uuid4().hex[:8]}"
        item = LineItem(id=item_id, label=label, score_maximum=maximum, **extra)
        self.line_items[item_id] = item
        return item

    def results(self, line_item: str) -> dict[str, dict[str, Any]]:
        return self.line_items[line_item].results

    # --- messages ----------------------------------------------------------------------------

    def resource_message(self, login: str, link: ResourceLink, **overrides: Any) -> str:
        """Prepare a resource link launch; returns its ``lti_message_hint``."""
        ags: dict[str, Any] = {"scope": list(AGS_SCOPES), "lineitems": self.lineitems_url}
        if link.line_item:
            ags["lineitem"] = link.line_item
        claims = {
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "resource_link": {"id": link.id, "title": link.title},
            LTI + "custom": dict(link.custom),
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags,
            LTI + "target_link_uri": self.tool_base + "/lti/launch/",
        }
        return self._message(login, claims, overrides)

    def deep_link_message(self, login: str, **overrides: Any) -> str:
        claims = {
            LTI + "message_type": "LtiDeepLinkingRequest",
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
                "deep_link_return_url": self.base + "/deep_links/return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": "opaque-" + uuid.uuid4().hex[:6],
            },
            LTI + "target_link_uri": self.tool_base + "/lti/launch/",
        }
        return self._message(login, claims, overrides)

    def _message(self, login: str, claims: dict[str, Any], overrides: dict[str, Any]) -> str:
        hint = "msg-" + uuid.uuid4().hex[:10]
        self.messages[hint] = {"login": login, "claims": claims, "overrides": overrides}
        return hint

    def id_token(self, login: str, message: dict[str, Any], nonce: str) -> str:
        person = self.people[login]
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person.sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": list(person.roles),
            LTI + "context": {
                "id": self.context_id,
                "label": "GAI101",
                "title": self.context_title,
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            LTI + "tool_platform": {
                "guid": "platform-guid-1",
                "name": "Test LMS",
                "url": self.base,
                "product_family_code": "test-lms",
            },
            LTI + "launch_presentation": {
                "document_target": "iframe",
                "return_url": self.base + "/return",
            },
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.memberships_url,
                "service_versions": ["2.0"],
            },
            **message["claims"],
        }
        body.update(message["overrides"].get("claims", {}))
        key = message["overrides"].get("key", self.key)
        return sign(body, key)

    # --- checks of what the tool sends ----------------------------------------------------------

    def verify_tool_jwt(self, token: str, *, audience: str) -> dict[str, Any]:
        """Check a JWT the tool signed, against the keys the tool's JWKS endpoint published."""
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self.tool_jwks.get("keys", []):
            if key.get("kid") == kid:
                public = JWK(**key).export_to_pem()
                return jwt.decode(token, public, algorithms=["RS256"], audience=audience)
        raise PlatformError(401, f"unknown tool key {kid!r}")

    def bearer(self, headers: Any, scope: str) -> None:
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if token not in self.tokens:
            raise PlatformError(401, "no valid access token")
        if scope not in self.tokens[token]:
            raise PlatformError(403, f"token lacks {scope}")

    @property
    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [{**self.key.export_public(as_dict=True), "alg": "RS256", "use": "sig"}]}


def sign(body: dict[str, Any], key: JWK) -> str:
    pem = key.export_to_pem(private_key=True, password=None)
    return jwt.encode(body, pem, algorithm="RS256", headers={"kid": key["kid"]})


def _handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(
            self, status: int, body: Any, *, content_type: str = "application/json", **headers: str
        ) -> None:
            data = (
                body
                if isinstance(body, bytes)
                else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            try:
                with platform.lock:
                    self._dispatch(method, parts.path, query)
            except PlatformError as exc:
                self._send(exc.status, {"error": str(exc)})

        def _dispatch(self, method: str, path: str, query: dict[str, str]) -> None:
            if method == "GET" and path == "/jwks":
                return self._send(200, platform.public_jwks)
            if method == "GET" and path == "/auth":
                return self._authorize(query)
            if method == "GET" and path == "/course":
                return self._course_page(query)
            if platform.down and path not in ("/deep_links/return",):
                raise PlatformError(503, "the LMS is down for maintenance")
            if method == "POST" and path == "/token":
                return self._token()
            if method == "POST" and path == "/deep_links/return":
                return self._deep_link_return()
            match = re.fullmatch(r"/contexts/([\w-]+)/lineitems", path)
            if match and method == "GET":
                platform.bearer(self.headers, LINEITEM_READ_SCOPE)
                found = [
                    li.as_json()
                    for li in platform.line_items.values()
                    if not query.get("resource_link_id")
                    or li.resource_link_id == query["resource_link_id"]
                ]
                return self._send(
                    200, found, content_type="application/vnd.ims.lis.v2.lineitemcontainer+json"
                )
            if match and method == "POST":
                platform.bearer(self.headers, LINEITEM_SCOPE)
                data = json.loads(self._body())
                item = platform.add_line_item(
                    data["label"],
                    float(data["scoreMaximum"]),
                    resource_id=data.get("resourceId", ""),
                    resource_link_id=data.get("resourceLinkId", ""),
                    tag=data.get("tag", ""),
                )
                return self._send(
                    201, item.as_json(), content_type="application/vnd.ims.lis.v2.lineitem+json"
                )
            match = re.fullmatch(r"(/lineitems/[\w-]+)/scores", path)
            if match and method == "POST":
                return self._score(platform.base + match.group(1))
            match = re.fullmatch(r"/contexts/([\w-]+)/memberships", path)
            if match and method == "GET":
                return self._members(query)
            raise PlatformError(404, f"no route {method} {path}")

        def _authorize(self, query: dict[str, str]) -> None:
            """The OIDC authorization endpoint: checks the tool's redirect, answers a form post."""
            for name, expected in (
                ("scope", "openid"),
                ("response_type", "id_token"),
                ("response_mode", "form_post"),
                ("prompt", "none"),
                ("client_id", platform.client_id),
            ):
                if query.get(name) != expected:
                    raise PlatformError(400, f"{name} must be {expected!r}")
            if query.get("redirect_uri") != platform.tool_base + "/lti/launch/":
                raise PlatformError(400, "redirect_uri is not registered")
            message = platform.messages.get(query.get("lti_message_hint", ""))
            if message is None or message["login"] != query.get("login_hint"):
                raise PlatformError(400, "unknown login or message hint")
            nonce = query.get("nonce") or ""
            if not nonce or not query.get("state"):
                raise PlatformError(400, "state and nonce are required")
            token = platform.id_token(message["login"], message, nonce)
            page = (
                f'<form method="post" action="{html.escape(query["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{token}">'
                f'<input type="hidden" name="state" value="{html.escape(query["state"])}">'
                "</form><script>document.forms[0].submit()</script>"
            )
            self._send(200, page, content_type="text/html")

        def _course_page(self, query: dict[str, str]) -> None:
            """The LMS's course page, with the tool in an iframe (for the browser tests)."""
            login, hint = query.get("login", ""), query.get("hint", "")
            params = {
                "iss": platform.issuer,
                "login_hint": login,
                "target_link_uri": platform.tool_base + "/lti/launch/",
                "lti_message_hint": hint,
                "client_id": platform.client_id,
                "lti_deployment_id": platform.deployment_id,
            }
            src = html.escape(
                query.get("src") or platform.tool_base + "/lti/login/?" + urlencode(params)
            )
            page = (
                '<!doctype html><html><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>Test LMS</title><style>body{margin:0;font-family:sans-serif}"
                "header{background:#2d3b45;color:#fff;padding:.6rem 1rem}"
                "iframe{border:0;width:100%;height:calc(100vh - 3rem)}</style></head><body>"
                f"<header>Test LMS · {html.escape(platform.context_title)}</header>"
                f'<iframe id="tool" title="Gradebook" src="{src}"></iframe></body></html>'
            )
            self._send(200, page, content_type="text/html")

        def _token(self) -> None:
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            if form.get("grant_type") != "client_credentials":
                raise PlatformError(400, "grant_type must be client_credentials")
            if form.get("client_assertion_type") != (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ):
                raise PlatformError(400, "unsupported client_assertion_type")
            try:
                claims = platform.verify_tool_jwt(
                    form.get("client_assertion", ""), audience=platform.token_url
                )
            except jwt.InvalidTokenError as exc:
                raise PlatformError(401, f"bad client assertion: {exc}") from None
            if claims.get("iss") != platform.client_id or claims.get("sub") != platform.client_id:
                raise PlatformError(401, "client assertion is not from the registered client")
            if claims["jti"] in platform.used_jtis:
                raise PlatformError(401, "client assertion replayed")
            platform.used_jtis.add(claims["jti"])
            allowed = set(AGS_SCOPES) | {NRPS_SCOPE}
            scopes = {s for s in form.get("scope", "").split() if s in allowed}
            token = secrets.token_urlsafe(16)
            platform.tokens[token] = scopes
            self._send(
                200,
                {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": " ".join(sorted(scopes)),
                },
            )

        def _score(self, line_item_id: str) -> None:
            platform.bearer(self.headers, SCORE_SCOPE)
            if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                raise PlatformError(415, "scores must be application/vnd.ims.lis.v1.score+json")
            payload = json.loads(self._body())
            item = platform.line_items.get(line_item_id)
            if item is None:
                raise PlatformError(404, "no such line item")
            if platform.refuse_scores_with:
                platform.score_posts.append((line_item_id, payload, platform.refuse_scores_with))
                raise PlatformError(platform.refuse_scores_with, "refused by the test")
            for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
                if name not in payload:
                    raise PlatformError(400, f"{name} is required")
            if not any(p.sub == payload["userId"] for p in platform.people.values()):
                raise PlatformError(400, "userId is not a member of this context")
            stamp = datetime.fromisoformat(payload["timestamp"])
            kept = item.results.get(payload["userId"])
            platform.score_posts.append((line_item_id, payload, 200))
            # AGS: a score older than the one on record does not replace it.
            if kept is None or datetime.fromisoformat(kept["timestamp"]) < stamp:
                item.results[payload["userId"]] = payload
            self._send(200, b"", content_type="text/plain")

        def _members(self, query: dict[str, str]) -> None:
            platform.bearer(self.headers, NRPS_SCOPE)
            people = sorted(platform.people.values(), key=lambda p: p.sub)
            page = int(query.get("page", "1"))
            size = platform.members_page_size
            chunk = people[(page - 1) * size : page * size]
            members = [
                {
                    "user_id": p.sub,
                    "status": p.status,
                    "name": p.name,
                    "given_name": p.given_name,
                    "family_name": p.family_name,
                    "email": p.email,
                    "roles": p.roles,
                }
                for p in chunk
            ]
            headers = {}
            if page * size < len(people):
                headers["Link"] = f'<{platform.memberships_url}?page={page + 1}>; rel="next"'
            self._send(
                200,
                {
                    "id": platform.memberships_url,
                    "context": {"id": platform.context_id, "title": platform.context_title},
                    "members": members,
                },
                content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                **headers,
            )

        def _deep_link_return(self) -> None:
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            try:
                claims = platform.verify_tool_jwt(form.get("JWT", ""), audience=platform.issuer)
            except jwt.InvalidTokenError as exc:
                raise PlatformError(401, f"bad deep linking response: {exc}") from None
            if claims.get("iss") != platform.client_id:
                raise PlatformError(401, "deep linking response is not from the registered client")
            if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
                raise PlatformError(400, "not a deep linking response")
            if claims.get(LTI + "deployment_id") != platform.deployment_id:
                raise PlatformError(400, "wrong deployment")
            created = []
            for content in claims.get(
                "https://purl.imsglobal.org/spec/lti-dl/claim/content_items", []
            ):
                if content.get("type") != "ltiResourceLink":
                    raise PlatformError(400, "only ltiResourceLink is accepted here")
                line = content.get("lineItem")
                link = platform.link(
                    content.get("title") or "",
                    custom=content.get("custom") or {},
                    graded=float(line["scoreMaximum"]) if line else None,
                )
                if line:
                    item = platform.line_items[link.line_item]
                    item.label = line.get("label", item.label)
                    item.resource_id = line.get("resourceId", "")
                    item.tag = line.get("tag", "")
                created.append(link.id)
            platform.deep_link_responses.append({"claims": claims, "links": created})
            self._send(200, {"links": created})

    return Handler


class Browser:
    """The browser in the LMS's iframe: Django's test client for the tool, HTTP for the LMS."""

    def __init__(self, client: Any, platform: Platform, *, secure: bool = False) -> None:
        self.client = client
        self.platform = platform
        self.secure = secure  # HTTPS, as every real deployment
        self.last_form: dict[str, str] = {}
        self.login_response: Any = None

    def start_login(self, login: str, hint: str, **params: str) -> Any:
        """The LMS's login initiation, as its page makes the iframe load our login URL."""
        query = {
            "iss": self.platform.issuer,
            "login_hint": login,
            "target_link_uri": self.platform.tool_base + "/lti/launch/",
            "lti_message_hint": hint,
            "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
            **params,
        }
        return self.client.get("/lti/login/", query, secure=self.secure)

    def authorize(self, login: str, hint: str) -> dict[str, str]:
        """Login initiation, the cookie check, and the platform's authorization endpoint:
        returns the form the platform's page would post to the tool."""
        page = self.start_login(login, hint)
        assert page.status_code == 200, page.content[:500]
        found = re.search(rb'data-continue="([^"]+)"', page.content)
        assert found, "the cookie check page names where to continue"
        to_platform = self.client.get(html.unescape(found.group(1).decode()), secure=self.secure)
        self.login_response = to_platform
        assert to_platform.status_code == 302, to_platform.content[:500]
        location = to_platform["Location"]
        assert location.startswith(self.platform.auth_url), location
        answer = requests.get(location, timeout=10)
        assert answer.status_code == 200, answer.text
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', answer.text))
        action = re.search(r'action="([^"]+)"', answer.text).group(1)
        assert action == self.platform.tool_base + "/lti/launch/", action
        self.last_form = {k: html.unescape(v) for k, v in form.items()}
        return dict(self.last_form)

    def post_launch(self, form: dict[str, str]) -> Any:
        return self.client.post("/lti/launch/", form, secure=self.secure)

    def launch(self, login: str, hint: str) -> Any:
        return self.post_launch(self.authorize(login, hint))

    def return_deep_link(self, page: Any) -> dict[str, Any]:
        """Post the tool's deep-linking response form to the platform, as its script does."""
        action = (
            re.search(rb'id="lti-autosubmit" method="post" action="([^"]+)"', page.content)
            .group(1)
            .decode()
        )
        token = re.search(rb'name="JWT" value="([^"]+)"', page.content).group(1).decode()
        answer = requests.post(html.unescape(action), data={"JWT": token}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()
