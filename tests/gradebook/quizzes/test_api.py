"""The student API: what a student may read and do, and the one error body for refusals."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.quizzes import api
from gradebook.quizzes.models import Attempt
from tests.gradebook.quizzes.factories import SPECS, item, make_course

pytestmark = pytest.mark.django_db

#: Keys of the answer key and grading rules: none may reach a student in any payload.
SECRET_KEYS = {
    "answer",
    "tolerance",
    "mistakes",
    "rubric",
    "model_answer",
    "correct_choices",
    "form",
    "carry_forward",
    "dual_form",
}


def walk_keys(data):
    if isinstance(data, dict):
        for k, v in data.items():
            yield k
            yield from walk_keys(v)
    elif isinstance(data, list):
        for v in data:
            yield from walk_keys(v)


def assert_no_secrets(data):
    found = SECRET_KEYS & set(walk_keys(data))
    assert not found, f"leaked {found}"
    text = json.dumps(data)
    assert "natural log" not in text  # a mistake's feedback
    assert "one token at a time." not in text  # the free-text model answer


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


def submit_url(it):
    return reverse("api-submit", args=[it.pk])


# --- reading -------------------------------------------------------------------------------------


def test_it_lists_only_the_students_courses(api_client, course):
    make_course("other", "Other")
    res = api_client.get(reverse("api-courses"))
    assert res.status_code == 200
    assert [c["slug"] for c in res.json()] == ["ai-gen"]


def test_a_course_of_someone_else_is_404_with_the_error_body(api_client):
    make_course("other", "Other")
    res = api_client.get(reverse("api-course", args=["other"]))
    assert res.status_code == 404
    assert set(res.json()["error"]) >= {"message", "field", "code"}


def test_the_course_lists_lessons_in_order(api_client, course):
    res = api_client.get(reverse("api-course", args=["ai-gen"]))
    assert [lesson["slug"] for lesson in res.json()["lessons"]] == [
        "text-vs-images",
        "latent-space",
    ]


def test_a_lesson_shows_its_items_without_any_key(api_client, course):
    res = api_client.get(reverse("api-lesson", args=["ai-gen", "text-vs-images"]))
    assert res.status_code == 200
    body = res.json()
    assert len(body["items"]) == len(SPECS)
    assert body["summary"].startswith("피파")
    assert_no_secrets(body)


@pytest.mark.parametrize("key", list(SPECS))
def test_no_item_payload_carries_a_key(api_client, course, key):
    res = api_client.get(reverse("api-item", args=[item(course, key).pk]))
    assert res.status_code == 200
    assert_no_secrets(res.json())


def test_choices_carry_no_correct_flag(api_client, course):
    res = api_client.get(reverse("api-item", args=[item(course, "which-model").pk]))
    choices = res.json()["choices"]
    assert {c["id"] for c in choices} == {"llm", "diffusion", "vae"}
    assert all(set(c) == {"id", "text"} for c in choices)


def test_the_item_shows_the_students_variant(api_client, course, enrolled):
    from gradebook.quizzes.services import variant_params

    it = item(course, "images-time")
    body = api_client.get(reverse("api-item", args=[it.pk])).json()
    n = variant_params(enrolled, it)["n"]
    assert body["params"] == {"n": n}
    assert f"do {n} images" in body["text"]
    assert body["unit"] == "s"


def test_an_item_of_another_course_is_404(api_client):
    other = make_course("other", "Other")
    res = api_client.get(reverse("api-item", args=[item(other, "ce-loss").pk]))
    assert res.status_code == 404


def test_anonymous_requests_are_refused(course):
    res = APIClient().get(reverse("api-courses"))
    assert res.status_code in (401, 403)
    assert "error" in res.json()


# --- submitting ----------------------------------------------------------------------------------


@pytest.mark.embedded
def test_submitting_a_right_answer_grades_it_at_once(api_client, course):
    res = api_client.post(
        submit_url(item(course, "ce-loss")), {"response": "-ln(0.3)"}, format="json"
    )
    assert res.status_code == 201
    body = res.json()
    assert body["correct"] is True and body["outcome"] == "correct" and body["score"] == 1.0
    assert body["interpretation"]["ok"] and "<math" in body["interpretation"]["mathml"]
    assert any(a["kind"] == "xp" and a["amount"] > 0 for a in body["awards"])
    assert body["state"]["correct"] is True
    assert body["explanation"]  # shown once the item is done
    assert_no_secrets(body)


def test_a_wrong_answer_gets_feedback_and_no_explanation(api_client, course):
    res = api_client.post(
        submit_url(item(course, "ce-loss")), {"response": "-log10(0.3)"}, format="json"
    )
    body = res.json()
    assert res.status_code == 201 and body["correct"] is False
    assert "natural log" in body["feedback"]
    assert body["explanation"] is None


def test_the_idempotency_key_header_records_one_attempt(api_client, course):
    url = submit_url(item(course, "ce-loss"))
    first = api_client.post(url, {"response": "2"}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = api_client.post(url, {"response": "2"}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Attempt.objects.count() == 1


def test_the_idempotency_key_field_works_too(api_client, course):
    url = submit_url(item(course, "ce-loss"))
    for _ in range(2):
        api_client.post(url, {"response": "2", "idempotency_key": "f-1"}, format="json")
    assert Attempt.objects.count() == 1


@pytest.mark.embedded
@pytest.mark.parametrize("bad", ["", "1,204", "((", "4 seconds and more", "x" * 5000])
def test_an_unreadable_answer_gets_the_graders_message_not_a_500(api_client, course, bad):
    res = api_client.post(submit_url(item(course, "ce-loss")), {"response": bad}, format="json")
    assert res.status_code == 400
    error = res.json()["error"]
    assert error["field"] == "response" and error["message"]
    assert Attempt.objects.count() == 0


def test_an_oversized_body_is_refused_with_a_size_message(api_client, course):
    res = api_client.post(
        submit_url(item(course, "ce-loss")), {"response": "1" * 30_000}, format="json"
    )
    assert res.status_code == 400
    assert "bytes" in res.json()["error"]["message"]


@pytest.mark.parametrize(
    "raw", ['{"response": ', "[1, 2]", '{"response": NaN}', '{"nothing": 1}', "null"]
)
def test_malformed_json_is_a_400(api_client, course, raw):
    res = api_client.post(submit_url(item(course, "ce-loss")), raw, content_type="application/json")
    assert res.status_code == 400
    assert res.json()["error"]["message"]


def test_a_dict_answer_to_a_single_box_item_is_a_400(api_client, course):
    res = api_client.post(
        submit_url(item(course, "ce-loss")), {"response": {"a": [1, {"b": 2}]}}, format="json"
    )
    assert res.status_code == 400


def test_submitting_to_another_courses_item_is_404(api_client):
    other = make_course("other", "Other")
    res = api_client.post(submit_url(item(other, "ce-loss")), {"response": "1"}, format="json")
    assert res.status_code == 404
    assert Attempt.objects.count() == 0


def test_after_the_last_attempt_it_answers_409(api_client, course):
    url = submit_url(item(course, "limited"))
    for answer in ("5", "6"):
        assert api_client.post(url, {"response": answer}, format="json").status_code == 201
    res = api_client.post(url, {"response": "4"}, format="json")
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "attempt_limit"


def test_free_text_is_waiting_for_review(api_client, course):
    res = api_client.post(
        submit_url(item(course, "explain")), {"response": "Diffusion denoises."}, format="json"
    )
    assert res.status_code == 201
    assert res.json()["status"] == "pending_review" and res.json()["score"] is None


def test_submit_is_rate_limited_per_user(api_client, course, monkeypatch):
    monkeypatch.setattr(api.SubmitThrottle, "THROTTLE_RATES", {"submit": "2/min"})
    url = submit_url(item(course, "ce-loss"))
    codes = [api_client.post(url, {"response": "1"}, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_session_posts_need_the_csrf_token(course, enrolled):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password="alice-pass-123")
    res = client.post(submit_url(item(course, "ce-loss")), {"response": "1"}, format="json")
    assert res.status_code == 403
    assert "CSRF" in res.json()["error"]["message"]


def test_a_token_works_for_scripts(course, enrolled):
    client = APIClient()
    token = client.post(
        reverse("api-token"), {"username": "alice", "password": "alice-pass-123"}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    res = client.post(submit_url(item(course, "ce-loss")), {"response": "-ln(0.3)"}, format="json")
    assert res.status_code == 201


# --- interpret -----------------------------------------------------------------------------------


def test_interpret_shows_the_reading_as_math(api_client, course):
    res = api_client.post(
        reverse("api-interpret", args=[item(course, "ce-loss").pk]),
        {"text": "-ln(0.3)"},
        format="json",
    )
    assert res.status_code == 200
    body = res.json()
    assert body["ok"] is True and body["canonical"] and "<math" in body["mathml"]
    assert Attempt.objects.count() == 0


def test_interpret_points_at_the_bad_character(api_client, course):
    res = api_client.post(
        reverse("api-interpret", args=[item(course, "ce-loss").pk]),
        {"text": "2 + $"},
        format="json",
    )
    body = res.json()
    assert res.status_code == 200 and body["ok"] is False and body["message"]
    assert body["mathml"] == ""


def test_interpret_reads_a_part(api_client, course):
    url = reverse("api-interpret", args=[item(course, "steps").pk])
    assert api_client.post(url, {"text": "50*0.08", "part": "per_image"}, format="json").json()[
        "ok"
    ]
    res = api_client.post(url, {"text": "1", "part": "nope"}, format="json")
    assert res.status_code == 400 and res.json()["error"]["field"] == "part"


def test_interpret_is_rate_limited(api_client, course, monkeypatch):
    monkeypatch.setattr(api.InterpretThrottle, "THROTTLE_RATES", {"interpret": "1/min"})
    url = reverse("api-interpret", args=[item(course, "ce-loss").pk])
    codes = [api_client.post(url, {"text": "1"}, format="json").status_code for _ in range(2)]
    assert codes == [200, 429]


def test_interpret_of_another_courses_item_is_404(api_client):
    other = make_course("other", "Other")
    url = reverse("api-interpret", args=[item(other, "ce-loss").pk])
    assert api_client.post(url, {"text": "1"}, format="json").status_code == 404


# --- attempts and progress -----------------------------------------------------------------------


def test_attempt_history_is_the_students_own(api_client, course, bob):
    course.enroll(bob)
    it = item(course, "ce-loss")
    api_client.post(submit_url(it), {"response": "2"}, format="json")
    bobs = APIClient()
    bobs.force_authenticate(bob)
    bobs.post(submit_url(it), {"response": "3"}, format="json")
    res = api_client.get(reverse("api-attempts"), {"item": it.pk})
    assert [a["response"] for a in res.json()["results"]] == ["2"]
    bob_attempt = Attempt.objects.get(student=bob)
    assert api_client.get(reverse("api-attempt", args=[bob_attempt.pk])).status_code == 404


def test_attempt_detail_shows_no_key(api_client, course):
    api_client.post(submit_url(item(course, "ce-loss")), {"response": "-ln(0.3)"}, format="json")
    attempt = Attempt.objects.get()
    body = api_client.get(reverse("api-attempt", args=[attempt.pk])).json()
    assert body["correct"] is True
    assert_no_secrets(body)


def test_a_bad_item_filter_is_a_400(api_client):
    res = api_client.get(reverse("api-attempts"), {"item": "abc"})
    assert res.status_code == 400 and res.json()["error"]["field"] == "item"


def test_progress_shows_level_xp_and_achievements(api_client, course):
    api_client.post(submit_url(item(course, "ce-loss")), {"response": "-ln(0.3)"}, format="json")
    body = api_client.get(reverse("api-progress")).json()
    assert body["level"]["name"] == "Spark" and body["level"]["xp"] == 20
    assert body["achievements_unlocked"] == 3 and len(body["achievements"]) >= 14
    course_body = api_client.get(reverse("api-course-progress", args=["ai-gen"])).json()
    assert course_body["xp"] == 20 and course_body["percent"] > 0


def test_progress_of_a_course_not_joined_is_404(api_client):
    make_course("other", "Other")
    assert api_client.get(reverse("api-course-progress", args=["other"])).status_code == 404


def test_the_openapi_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/items/{item_id}/submit/" in schema.content
    assert api_client.get("/api/docs/").status_code == 200


def test_lesson_items_carry_the_students_state_and_last_verdict(api_client, course):
    api_client.post(submit_url(item(course, "ce-loss")), {"response": "-ln(0.3)"}, format="json")
    items = api_client.get(reverse("api-lesson", args=["ai-gen", "text-vs-images"])).json()["items"]
    loss = next(i for i in items if i["key"] == "ce-loss")
    assert loss["state"] == {
        "attempts": 1,
        "attempts_left": None,
        "correct": True,
        "done": True,
        "pending_review": False,
        "best_score": 1.0,
    }
    assert loss["last_attempt"]["correct"] is True
    other = next(i for i in items if i["key"] == "ce-exact")
    assert other["last_attempt"] is None and other["state"]["attempts"] == 0


@pytest.mark.parametrize("key", ["ce-loss", "explain", "which-model"])
def test_a_nul_character_is_refused_not_a_500(api_client, course, key):
    # PostgreSQL cannot store U+0000 in text or jsonb: it must be refused before it gets there.
    res = api_client.post(submit_url(item(course, key)), {"response": "ab\u0000c"}, format="json")
    assert res.status_code == 400
    assert res.json()["error"]["field"] == "response"
    assert Attempt.objects.count() == 0


@pytest.mark.parametrize("key", ["explain", "ce-loss", "steps"])
def test_a_bidi_control_in_an_answer_is_refused_with_its_name(api_client, course, key):
    # "Noise.\u202e..." would display reversed to the teacher who reads it.
    response = "Noise goes \u202eesrever" if key != "steps" else {"per_image": "4\u2067"}
    res = api_client.post(submit_url(item(course, key)), {"response": response}, format="json")
    assert res.status_code == 400
    assert "Unicode direction control" in res.json()["error"]["message"]
    assert Attempt.objects.count() == 0


def test_a_nul_in_a_multipart_answer_is_refused(api_client, course):
    res = api_client.post(
        submit_url(item(course, "steps")), {"response": {"per_image": "4\u0000"}}, format="json"
    )
    assert res.status_code == 400


def test_a_nul_in_interpret_or_join_is_a_400(api_client, course):
    url = reverse("api-interpret", args=[item(course, "ce-loss").pk])
    assert api_client.post(url, {"text": "1\u0000"}, format="json").status_code in (200, 400)
    assert (
        api_client.post(reverse("api-join"), {"code": "AB\u0000"}, format="json").status_code == 400
    )


def test_the_benchmark_endpoint_is_not_routed_by_default(api_client):
    assert api_client.post("/api/bench/bare/", {}, format="json").status_code == 404


def test_the_api_docs_page_needs_no_cdn(api_client):
    html = api_client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


# --- the submit body: the fast check agrees with the serializer ----------------------------------

_BODIES = [
    {"response": "-ln(0.3)"},
    {"response": "  1.2 "},
    {"response": ["a", "c"]},
    {"response": {"per_image": "4", "total": "40"}},
    {"response": "1", "idempotency_key": "  k-1  "},
    {"response": "1", "idempotency_key": ""},
    {"response": "1", "idempotency_key": "k" * 100},
    {"response": "1", "idempotency_key": "k" * 101},
    {"response": "1", "idempotency_key": 7},
    {"response": None},
    {"response": 3},
    {"response": "x" * 70_000},
    {"idempotency_key": "k"},
    {},
    {"response": "1", "extra": True},
    ["response"],
    "response",
]


@pytest.mark.parametrize("body", _BODIES, ids=range(len(_BODIES)))
def test_the_submit_body_check_agrees_with_the_serializer(body):
    from rest_framework.exceptions import ValidationError

    from gradebook.quizzes.serializers import SubmitSerializer, submit_body

    serializer = SubmitSerializer(data=body)
    if serializer.is_valid():
        expected = (
            serializer.validated_data["response"],
            serializer.validated_data.get("idempotency_key"),
        )
        assert submit_body(body) == expected
    else:
        with pytest.raises(ValidationError) as refused:
            submit_body(body)
        assert refused.value.detail == serializer.errors


def test_the_quiz_and_exercise_submit_bodies_are_separate_schema_components(api_client):
    # Both serializers are called SubmitSerializer; one shared "Submit" component documented
    # one of the two request bodies wrongly.
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    components = schema.json()["components"]["schemas"]
    assert "response" in components["Submit"]["properties"]
    assert "prompt" in components["ExerciseSubmit"]["properties"]
