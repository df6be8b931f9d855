import pytest
from django.utils import translation
from rest_framework.test import APIClient

from tests.gradebook.quizzes.factories import course, enrolled, lesson  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    """Start each test in English: a request in Korean leaves its language active."""
    with translation.override("en"):
        yield


@pytest.fixture
def api_client(enrolled):  # noqa: F811 (the fixture imported above)
    """The API as the enrolled student sees it."""
    client = APIClient()
    client.force_authenticate(enrolled)
    return client
