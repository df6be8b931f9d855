import pytest
from django.utils import translation

from tests.gradebook.quizzes.factories import course, enrolled, lesson  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    """Start each test in English: a request in Korean leaves its language active."""
    with translation.override("en"):
        yield


@pytest.fixture
def student_client(client, enrolled):  # noqa: F811
    client.force_login(enrolled)
    return client


@pytest.fixture
def teaching(course, tara):  # noqa: F811
    course.teachers.add(tara)
    return course


@pytest.fixture
def tara_client(client, tara):
    client.force_login(tara)
    return client
