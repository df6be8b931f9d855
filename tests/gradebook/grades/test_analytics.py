"""Item analytics and declaring a wrong answer as a mistake in the item's spec."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gradebook.courses.models import Item
from gradebook.grades.selectors import course_misconceptions, item_analytics
from gradebook.grades.services import GradingError, item_add_mistake

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(alice, bob, numeric_item):
    # Alice: wrong, then right. Bob: right at once. Two wrong answers read the same way.
    make_attempt(
        alice, numeric_item, "log(0.3)", score=0.0, interpreted_as="log(0.3)", misconception="sign"
    )
    make_attempt(alice, numeric_item, "1.2", score=1.0, correct=True, interpreted_as="1.2")
    make_attempt(bob, numeric_item, "1.204", score=1.0, correct=True, interpreted_as="1.204")
    make_attempt(
        bob,
        numeric_item,
        "ln(0.3)",
        number=2,
        score=0.0,
        interpreted_as="log(0.3)",
        misconception="sign",
    )
    make_attempt(
        bob,
        numeric_item,
        "-log10(0.3)",
        number=3,
        score=0.0,
        interpreted_as="-log(0.3)/log(10)",
        misconception="log-base",
    )
    return numeric_item


def test_it_counts_attempts_first_try_success_and_tries(answered):
    stats = item_analytics(answered)
    assert stats["attempts"] == 5 and stats["students"] == 2
    assert stats["first_try_correct"] == 0.5
    assert stats["average_tries"] == 2.5


def test_it_groups_wrong_answers_by_what_the_grader_read(answered):
    groups = item_analytics(answered)["wrong_answers"]
    assert [(g["reading"], g["count"], g["students"]) for g in groups] == [
        ("log(0.3)", 2, 2),
        ("-log(0.3)/log(10)", 1, 1),
    ]
    assert sorted(groups[0]["examples"]) == ["ln(0.3)", "log(0.3)"]
    assert groups[0]["misconceptions"] == ["sign"]


def test_it_counts_misconception_tags_across_the_course(answered, alice, free_text_item):
    make_attempt(alice, free_text_item, "x", misconception="sign")
    tags = course_misconceptions(answered.course)
    assert [(t["tag"], t["count"], t["students"]) for t in tags] == [
        ("sign", 3, 2),
        ("log-base", 1, 1),
    ]
    assert tags[0]["items"][0] == {"key": "neg-log", "count": 2}


def test_an_item_nobody_answered_has_no_rates(numeric_item):
    stats = item_analytics(numeric_item)
    assert stats["first_try_correct"] is None and stats["average_tries"] is None


def test_declaring_a_mistake_writes_a_new_revision_of_the_spec(tara, answered):
    before = answered.revision
    item_add_mistake(
        item=answered, by=tara, answer="log(0.3)", feedback="Mind the sign.", tag="sign"
    )
    item = Item.objects.get(pk=answered.pk)
    assert item.spec["mistakes"] == [
        {"answer": "log(0.3)", "feedback": "Mind the sign.", "tag": "sign"}
    ]
    assert item.revision == before + 1
    assert item.current_revision().created_by == tara
    assert item_analytics(item)["wrong_answers"][0]["declared"] is True


def test_a_declared_mistake_shows_up_in_the_bank_export(tara, answered):
    from gradebook.courses.bank import course_to_bank

    item_add_mistake(
        item=answered, by=tara, answer="log(0.3)", feedback="Mind the sign.", tag="sign"
    )
    bank = course_to_bank(answered.course)
    items = [item for lesson in bank["lessons"] for item in lesson.get("items", [])]
    exported = next(item for item in items if item["id"] == "neg-log")
    assert exported["mistakes"] == [
        {"answer": "log(0.3)", "feedback": "Mind the sign.", "tag": "sign"}
    ]


@pytest.mark.parametrize(
    ("answer", "feedback", "tag", "message", "field"),
    [
        ("", "x", "", "Give the wrong answer", "answer"),
        ("log(0.3)", " ", "", "Write the message", "feedback"),
        ("log(0.3)", "x", "Bad Tag!", "lowercase letters", "tag"),
        ("x" * 501, "x", "", "at most 500", "answer"),
        # The importer's active-HTML rule: the course's export must import again.
        ("log(0.3)", "<script>alert(1)</script>", "", "active HTML", "feedback"),
        ("log(0.3)", '<img src=x onerror="alert(1)">', "", "active HTML", "feedback"),
        ("log(0.3)", "[see](javascript:alert(1))", "", "active HTML", "feedback"),
        ("<iframe src=x>", "x", "", "active HTML", "answer"),
    ],
)
def test_it_refuses_a_bad_mistake(tara, answered, answer, feedback, tag, message, field):
    with pytest.raises(GradingError, match=message) as info:
        item_add_mistake(item=answered, by=tara, answer=answer, feedback=feedback, tag=tag)
    assert info.value.field == field
    assert "mistakes" not in Item.objects.get(pk=answered.pk).spec


def test_a_course_with_declared_mistakes_exports_and_imports_again(tara, answered):
    from gradebook.courses.bank import bank_import, course_to_bank
    from gradebook.courses.bank.loading import Document

    item_add_mistake(
        item=answered, by=tara, answer="log(0.3)", feedback="Mind the <em>sign</em>: -ln, not ln."
    )
    exported = course_to_bank(answered.course)
    # Validated as an import would (raises BankInvalid otherwise); the key is unchanged.
    result = bank_import(documents=[Document("again.yaml", exported)], dry_run=True)
    assert not [c for c in result.plans[0].items_updated if c.key == answered.key]


def test_it_refuses_to_declare_the_same_mistake_twice(tara, answered):
    item_add_mistake(item=answered, by=tara, answer="log(0.3)", feedback="Mind the sign.")
    with pytest.raises(GradingError, match="already a declared mistake"):
        item_add_mistake(item=answered, by=tara, answer="log(0.3)", feedback="Again")


def test_one_click_on_the_page_declares_it(tara_client, answered):
    page = tara_client.get(reverse("grades:item", args=["ai-gen", "neg-log"])).content.decode()
    assert 'name="answer" value="log(0.3)"' in page
    response = tara_client.post(
        reverse("grades:add_mistake", args=["ai-gen", "neg-log"]),
        {"answer": "log(0.3)", "feedback": "Mind the sign.", "tag": "sign"},
    )
    assert response.status_code == 302
    page = tara_client.get(response.url).content.decode()
    assert "declared" in page and "Mind the sign." in page


def test_the_page_keeps_the_message_when_refused(tara_client, answered):
    response = tara_client.post(
        reverse("grades:add_mistake", args=["ai-gen", "neg-log"]),
        {"answer": "log(0.3)", "feedback": "Mind the sign.", "tag": "Bad Tag"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "lowercase letters" in html and 'value="Mind the sign."' in html


def test_the_api_gives_analytics_and_declares_mistakes(tara_api, answered):
    stats = tara_api.get(reverse("grades-api:item_analytics", args=["ai-gen", "neg-log"])).json()
    assert stats["first_try_correct"] == 0.5
    response = tara_api.post(
        reverse("grades-api:mistakes", args=["ai-gen", "neg-log"]),
        {"answer": "log(0.3)", "feedback": "Mind the sign.", "tag": "sign"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["revision"] == answered.revision + 1
    course = tara_api.get(reverse("grades-api:course_analytics", args=["ai-gen"])).json()
    assert course["misconceptions"][0]["tag"] == "sign"
    assert course["items"][0]["key"] == "neg-log"


def test_the_course_analytics_page_lists_items_and_tags(tara_client, answered):
    html = tara_client.get(reverse("grades:course_analytics", args=["ai-gen"])).content.decode()
    assert "Surprisal of p = 0.3" in html and 'data-tag="sign"' in html
    assert "50%" in html


def test_the_answers_page_lists_one_students_answers(tara_client, answered):
    html = tara_client.get(
        reverse("grades:item_answers", args=["ai-gen", "neg-log"]) + "?student=bob"
    ).content.decode()
    rows = html[html.index("<tbody>") :]
    assert "1.204" in rows and "-log10(0.3)" in rows and "alice" not in rows
