"""The whole story with the in-suite platform: a teacher deep-links a lesson into the LMS, a
student launches it and answers, the LMS receives the score; the teacher overrides it, and the
LMS receives the new score.

Everything runs for real: the platform's id_tokens are signed with its RSA key and checked
against its JWKS over HTTP; the deep-linking response is signed with the tool's key and checked
by the platform against the tool's JWKS; scores go through the platform's token endpoint (the
tool's client-credentials JWT, verified) and its AGS endpoint. Celery tasks run in-process.
"""

from __future__ import annotations

import pytest
from django.test import Client

from gradebook.lti.models import Placement, ScoreSync
from gradebook.quizzes.models import Attempt
from tests.gradebook.lti.platform import INSTRUCTOR, LEARNER, Browser
from tests.gradebook.quizzes.factories import item

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_deep_link_launch_answer_override_and_the_lms_gets_each_score(
    platform, registered, course, eager_celery, django_capture_on_commit_callbacks
):
    tara = Browser(Client(), platform)
    alice = Browser(Client(), platform)
    platform.person("tara", role=INSTRUCTOR, name="Tara Teach")
    student = platform.person("alice", role=LEARNER, name="Alice Liddell")

    # 1. The teacher opens the tool's content picker from the LMS and places a lesson.
    response = tara.launch("tara", platform.deep_link_message("tara"))
    assert response.status_code == 302 and response["Location"] == "/lti/deep-link/"
    picker = tara.client.get("/lti/deep-link/")
    assert "lesson:ai-gen/text-vs-images" in picker.content.decode()
    chosen = tara.client.post("/lti/deep-link/", {"target": "lesson:ai-gen/text-vs-images"})
    assert chosen.status_code == 200
    # The page's form posts to the LMS: its Content-Security-Policy lets it, there only.
    form_action = next(
        part for part in chosen["Content-Security-Policy"].split(";") if "form-action" in part
    )
    assert platform.base in form_action
    placed = tara.return_deep_link(chosen)

    # The platform checked the tool's signature and made the link and its gradebook column.
    [link_id] = placed["links"]
    link = platform.links[link_id]
    assert link.custom == {"gradebook_target": "lesson:ai-gen/text-vs-images"}
    column = platform.line_items[link.line_item]
    assert (column.label, column.score_maximum) == ("Language generation vs. media generation", 7)
    response_claims = platform.deep_link_responses[0]["claims"]
    data_claim = response_claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"]
    assert data_claim.startswith("opaque-")  # echoed back, as the spec requires

    # 2. The student launches the new link and lands on the lesson.
    response = alice.launch("alice", platform.resource_message("alice", link))
    assert response["Location"] == "/learn/ai-gen/text-vs-images/"

    # 3. The student answers an item of the lesson right: the LMS receives the score.
    ce_loss = item(course, "ce-loss")
    with django_capture_on_commit_callbacks(execute=True):
        answered = alice.client.post(f"/learn/items/{ce_loss.pk}/submit/", {"response": "1.204"})
    assert answered.status_code == 302
    result = platform.results(link.line_item)[student.sub]
    assert result["scoreGiven"] == 1.0 and result["scoreMaximum"] == 7.0
    assert (result["activityProgress"], result["gradingProgress"]) == (
        "InProgress",
        "FullyGraded",
    )

    # 4. The teacher launches the link too, then overrides the answer: the LMS gets 0.5.
    response = tara.launch("tara", platform.resource_message("tara", link))
    placement = Placement.objects.get(resource_link__id_on_platform=link.id)
    assert response["Location"] == f"/lti/placements/{placement.pk}/"
    attempt = Attempt.objects.get(item=ce_loss)
    with django_capture_on_commit_callbacks(execute=True):
        overridden = tara.client.post(
            f"/teach/attempts/{attempt.pk}/override/",
            {"points": "0.5", "reason": "Right number, but show the working."},
        )
    assert overridden.status_code == 302
    result = platform.results(link.line_item)[student.sub]
    assert result["scoreGiven"] == 0.5

    # Each change was one version, sent once, each later than the one before.
    posts = [p for _li, p, status in platform.score_posts if status == 200]
    assert [p["scoreGiven"] for p in posts] == [1.0, 0.5]
    assert posts[0]["timestamp"] < posts[1]["timestamp"]
    sync = ScoreSync.objects.get(placement=placement)
    assert (sync.version, sync.sent_version, sync.status) == (2, 2, "sent")
    # The teacher's page shows it.
    page = tara.client.get(f"/lti/placements/{placement.pk}/").content.decode()
    assert "Grades sent to the LMS" in page
