"""Fixtures for the LTI tests: a running platform, its registration here, and a course.

``platform`` is a real LTI 1.3 peer on 127.0.0.1 (tests/gradebook/lti/platform.py); the tool
fetches its key set and calls its services over HTTP. ``registered`` records the platform the
way an administrator does in the admin (registration, active deployment, the course opened to
it) and hands the platform the tool's public keys from the tool's own JWKS endpoint.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from lti_tool.models import LtiDeployment, LtiRegistration

from gradebook.celery import app as celery_app
from gradebook.lti import placements
from gradebook.lti.models import PlatformAccess
from tests.gradebook.lti.platform import Browser, Platform
from tests.gradebook.quizzes.factories import course, lesson  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Placements, key sets and tokens are cached per process: start each test without them."""
    placements.forget()
    cache.clear()
    yield
    placements.forget()


@pytest.fixture
def platform():
    lms = Platform().start()
    try:
        yield lms
    finally:
        lms.stop()


def register(platform, opened):
    """What an administrator does in the admin for a new platform (docs/lti.md)."""
    registration = LtiRegistration.objects.create(
        name="Test LMS",
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_url=platform.auth_url,
        token_url=platform.token_url,
        keyset_url=platform.keyset_url,
    )
    LtiDeployment.objects.create(
        registration=registration, deployment_id=platform.deployment_id, is_active=True
    )
    access = PlatformAccess.objects.create(registration=registration)
    access.courses.add(opened)
    platform.tool_jwks = Client().get("/lti/jwks/").json()
    return registration


@pytest.fixture
def registered(db, platform, course):  # noqa: F811 (the fixture imported above)
    return register(platform, course)


@pytest.fixture
def browser(client, platform):
    return Browser(client, platform)


@pytest.fixture
def eager_celery():
    """Tasks run in-process when published (the broker and workers are tested elsewhere)."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous
