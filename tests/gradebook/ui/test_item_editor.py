"""Authoring in the browser: the form (or YAML) saves through the import's validator and write,
as a revision the next export carries, and offers the regrade preview when answers exist."""

from __future__ import annotations

from html import unescape

import pytest
import yaml
from django.urls import reverse

from gradebook.courses.authoring import form_view, spec_from_form
from gradebook.courses.bank.exporting import course_to_bank
from gradebook.courses.models import Item, ItemRevision
from gradebook.quizzes.services import submit_answer
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db


def form_data(spec, **changes):
    """What the editor's form posts for ``spec`` unchanged, with ``changes`` on top."""
    view = form_view(spec)
    data = {
        "mode": "form", "lesson": "text-vs-images", "item": spec["id"], "type": spec["type"],
        "id": view["id"], "title": view["title"], "text": view["text"], "points": view["points"],
        "max_attempts": view["max_attempts"], "retry_penalty": view["retry_penalty"],
        "explanation": view["explanation"], "action": "save",
    }  # fmt: skip
    units = [view["unit"], *view["parts"]]
    for unit in units:
        p = unit["prefix"]
        if unit in view["parts"]:
            data.update({p + "type": unit["type"], p + "origin": str(unit["origin"]),
                         p + "id": unit["id"], p + "label": unit["label"],
                         p + "weight": unit["weight"]})  # fmt: skip
        for name in ("help", "placeholder", "hints"):
            data[p + name] = unit[name]
        if unit["type"] in ("numeric", "symbolic"):
            data[p + "answer"] = unit["answer"]
            for j, m in enumerate(unit["mistakes"]):
                for k, v in m.items():
                    data[f"{p}m{j}-{k}"] = v
        if unit["type"] == "numeric":
            data.update({p + "unit": unit["unit"], p + "tol_kind": unit["tol_kind"],
                         p + "tol_value": unit["tol_value"]})  # fmt: skip
            for flag in ("unit_required", "expressions", "tol_typed"):
                if unit[flag]:
                    data[p + flag] = "on"
        if unit["type"] == "symbolic":
            data.update({p + "form": unit["form"], p + "variables": unit["variables"],
                         p + "log_base": unit["log_base"]})  # fmt: skip
        if unit["type"] == "multiple_choice":
            for j, c in enumerate(unit["choices"]):
                for k, v in c.items():
                    if k == "correct":
                        if v:
                            data[f"{p}c{j}-correct"] = "on"
                    else:
                        data[f"{p}c{j}-{k}"] = v
            for flag in ("multiple", "shuffle"):
                if unit[flag]:
                    data[p + flag] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    "key", ["ce-loss", "ce-exact", "which-model", "steps", "explain", "limited"]
)
def test_saving_the_form_unchanged_changes_nothing(course, key):
    spec = item(course, key).spec
    assert spec_from_form(spec, form_data(spec)) == spec


def test_a_teacher_fixes_a_key_and_the_next_export_carries_it(
    tara_client, teaching, enrolled, tara
):
    loss = item(teaching, "ce-loss")
    submit_answer(student=enrolled, item=loss, response="1.2")
    url = reverse("grades:item_edit", args=["ai-gen", "ce-loss"])
    assert tara_client.get(url).status_code == 200
    response = tara_client.post(
        url, form_data(loss.spec, answer="-ln(0.25)", tol_kind="absolute", tol_value="0.01")
    )
    assert response.status_code == 302 and response.url == url + "?saved=1"
    loss.refresh_from_db()
    assert loss.revision == 2
    assert loss.spec["answer"] == "-ln(0.25)" and loss.spec["tolerance"] == {"absolute": 0.01}
    revision = ItemRevision.objects.get(item=loss, number=2)
    assert revision.created_by == tara and revision.note == "edited in the browser by tara"
    exported = course_to_bank(teaching)
    spec = next(i for les in exported["lessons"] for i in les["items"] if i["id"] == "ce-loss")
    assert spec["answer"] == "-ln(0.25)"
    page = tara_client.get(response.url).content.decode()
    assert "1 stored answer was graded against the earlier key." in page
    assert reverse("grades:regrade_start", args=["ai-gen", "ce-loss"]) in page


def test_saving_an_unchanged_item_makes_no_revision(tara_client, teaching):
    loss = item(teaching, "ce-loss")
    url = reverse("grades:item_edit", args=["ai-gen", "ce-loss"])
    tara_client.post(url, form_data(loss.spec))
    loss.refresh_from_db()
    assert loss.revision == 1


def test_a_spec_the_grader_refuses_is_not_saved_and_the_field_is_named(tara_client, teaching):
    loss = item(teaching, "ce-loss")
    url = reverse("grades:item_edit", args=["ai-gen", "ce-loss"])
    for change, field in (
        ({"answer": "-ln("}, "answer"),
        ({"tol_value": "-1"}, "tolerance.relative"),
    ):
        response = tara_client.post(url, form_data(loss.spec, **change))
        assert response.status_code == 400
        html = unescape(response.content.decode())
        assert "1 problem; nothing was saved." in html and f"<code>{field}</code>" in html
    loss.refresh_from_db()
    assert loss.revision == 1


def test_choices_and_parts_are_edited_in_the_form(tara_client, teaching):
    choice = item(teaching, "which-model")
    url = reverse("grades:item_edit", args=["ai-gen", "which-model"])
    data = form_data(choice.spec, **{"c3-id": "rnn", "c3-text": "An RNN", "c2-text": "A VAE"})
    assert tara_client.post(url, data).status_code == 302
    choice.refresh_from_db()
    assert [c["id"] for c in choice.spec["choices"]] == ["llm", "diffusion", "vae", "rnn"]
    assert choice.spec["choices"][2]["text"] == "A VAE"
    steps = item(teaching, "steps")
    url = reverse("grades:item_edit", args=["ai-gen", "steps"])
    data = form_data(steps.spec, **{"p1-remove": "on", "p0-unit": "s", "p0-label": "One image"})
    assert tara_client.post(url, data).status_code == 302
    steps.refresh_from_db()
    assert [p["id"] for p in steps.spec["parts"]] == ["per_image"]
    assert steps.spec["parts"][0]["unit"] == "s" and steps.spec["parts"][0]["label"] == "One image"


def test_adding_a_part_shows_it_without_saving(tara_client, teaching):
    steps = item(teaching, "steps")
    url = reverse("grades:item_edit", args=["ai-gen", "steps"])
    html = tara_client.post(
        url, form_data(steps.spec, action="add_part", new_part_type="multiple_choice")
    ).content.decode()
    assert 'name="p2-type" value="multiple_choice"' in html
    steps.refresh_from_db()
    assert steps.revision == 1


def test_the_yaml_view_edits_every_key_and_errors_name_the_line(tara_client, teaching):
    explain = item(teaching, "explain")
    url = reverse("grades:item_edit", args=["ai-gen", "explain"])
    html = tara_client.get(url + "?mode=yaml").content.decode()
    assert "rubric:" in html and "model_answer:" in html
    text = yaml.safe_dump({**explain.spec, "max_chars": 900}, sort_keys=False)
    assert (
        tara_client.post(url, {"mode": "yaml", "yaml": text, "action": "save"}).status_code == 302
    )
    explain.refresh_from_db()
    assert explain.spec["max_chars"] == 900 and explain.revision == 2
    bad = text.replace("max_chars: 900", "max_chars: -3")
    response = tara_client.post(url, {"mode": "yaml", "yaml": bad, "action": "save"})
    assert response.status_code == 400
    line = next(n for n, row in enumerate(bad.splitlines(), 1) if "max_chars" in row)
    assert f"line {line}" in response.content.decode()


def test_the_id_of_an_item_cannot_change(tara_client, teaching):
    loss = item(teaching, "ce-loss")
    url = reverse("grades:item_edit", args=["ai-gen", "ce-loss"])
    response = tara_client.post(url, form_data(loss.spec, id="renamed"))
    assert response.status_code == 400 and "the id cannot change" in unescape(
        response.content.decode()
    )


def test_a_teacher_creates_an_item_in_a_lesson(tara_client, teaching, enrolled, client):
    url = reverse("grades:item_new", args=["ai-gen"]) + "?lesson=text-vs-images"
    assert "What kind of item?" in tara_client.get(url).content.decode()
    assert tara_client.get(url + "&type=numeric").status_code == 200
    data = {
        "mode": "form", "lesson": "text-vs-images", "type": "numeric", "action": "save",
        "id": "steps-per-second", "title": "Steps per second", "text": "How many steps a second?",
        "points": "2", "answer": "12.5", "unit": "", "tol_kind": "relative", "tol_value": "0.01",
        "expressions": "on", "m0-answer": "", "help": "", "placeholder": "", "hints": "",
    }  # fmt: skip
    response = tara_client.post(reverse("grades:item_new", args=["ai-gen"]), data)
    assert response.status_code == 302
    new = Item.objects.get(course=teaching, key="steps-per-second")
    assert new.lesson.slug == "text-vs-images" and float(new.points) == 2.0
    assert new.revision == 1 and new.revisions.get().note == "edited in the browser by tara"
    client.force_login(enrolled)
    lesson = client.get(reverse("lesson", args=["ai-gen", "text-vs-images"])).content.decode()
    assert "Steps per second" in lesson


def test_a_duplicate_id_is_refused(tara_client, teaching):
    data = {"mode": "yaml", "lesson": "text-vs-images", "type": "numeric", "action": "save",
            "yaml": "id: ce-loss\ntype: numeric\ntext: Again?\nanswer: 1\n"}  # fmt: skip
    response = tara_client.post(reverse("grades:item_new", args=["ai-gen"]), data)
    assert response.status_code == 400
    assert "already has an item 'ce-loss'" in unescape(response.content.decode())


def test_the_preview_checks_as_you_type_and_shows_the_students_view(tara_client, teaching):
    loss = item(teaching, "ce-loss")
    url = reverse("grades:item_preview", args=["ai-gen"])
    body = tara_client.post(url, form_data(loss.spec, help="Round it, e.g. 1.204.")).json()
    assert body["ok"] is True
    assert body["warnings"][0]["field"] == "help" and "1.204" in body["warnings"][0]["message"]
    assert "Cross-entropy loss" in body["html"] and "answer-box" in body["html"]
    assert "-ln(0.3)" not in body["html"]  # the preview is the student's view: no key
    body = tara_client.post(url, form_data(loss.spec, points="0")).json()
    assert body["ok"] is False and body["errors"][0]["field"] == "points" and body["html"] == ""


def test_another_courses_teacher_cannot_edit(client, teaching, otto_teacher):
    client.force_login(otto_teacher)
    assert client.get(reverse("grades:item_edit", args=["ai-gen", "ce-loss"])).status_code == 404
    response = client.post(reverse("grades:item_preview", args=["ai-gen"]), {"lesson": "x"})
    assert response.status_code == 404


@pytest.fixture
def otto_teacher(django_user_model):
    from gradebook.accounts.roles import make_teacher

    user = django_user_model.objects.create_user("otto", "otto@example.com", "otto-pass-123")
    make_teacher(user)
    return user
