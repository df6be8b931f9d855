"""One ``Refusal`` shape for every app's refused requests, rendered in one place."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from exercises.services import QueueFull, QuotaExceeded
from gradebook.grades.services import GradingError
from gradebook.quizzes.services import AttemptLimitReached, InvalidAnswer
from gradebook.refusals import Refusal


def _refused_with(refusal: Refusal):
    class Refuses(APIView):
        permission_classes: list = []

        def post(self, request):
            raise refusal

    return Refuses.as_view()(APIRequestFactory().post("/api/x/", {}, format="json"))


@pytest.mark.parametrize(
    ("refusal", "status", "code", "field", "retry_after"),
    [
        (InvalidAnswer("Unreadable."), 400, "invalid_answer", "response", None),
        (AttemptLimitReached(3), 409, "attempt_limit", None, None),
        (
            GradingError("Returned already.", code="already_returned"),
            409,
            "already_returned",
            None,
            None,
        ),
        (GradingError("Not a number.", field="points"), 400, "invalid", "points", None),
        (QuotaExceeded(4, 4, retry_after=90), 429, "too_many_waiting_jobs", None, "90"),
        (
            QueueFull(scope="server", waiting=9, limit=9, retry_after=120),
            503,
            "generation_queue_full",
            None,
            "120",
        ),
    ],
)
def test_every_refusal_has_the_one_body_its_status_and_retry_after(
    refusal, status, code, field, retry_after
):
    response = _refused_with(refusal)
    response.render()
    assert response.status_code == status
    assert response.get("Retry-After") == retry_after
    error = response.data["error"]
    assert error == {
        "message": refusal.message,
        "field": field,
        "code": code,
        "details": {field or "non_field_errors": [refusal.message]},
    }


def test_a_refusal_shows_on_an_html_form_under_its_field_or_the_form():
    assert Refusal("Too long.", field="prompt").errors == {"prompt": "Too long."}
    assert Refusal("Come back later.").errors == {"form": "Come back later."}
