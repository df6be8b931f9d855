import pytest
from django.utils import translation

from tests.gradebook.quizzes.factories import course, enrolled, lesson  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    """Start each test in English: a request in Korean leaves its language active."""
    with translation.override("en"):
        yield
