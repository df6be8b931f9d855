"""Generated outputs are private: served only through a view with the attempt's access rule.

Alice made the submission; Bob is in her course; Tara teaches it; Tom teaches another course.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from exercises import services
from exercises.models import GenerationOutput
from exercises.storage import write_outputs
from tests.exercises.conftest import REFLECTION

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10


@pytest.fixture
def output(alice, make_submission, enrolled):
    submission = make_submission(alice, kinds=("image",))
    job = submission.jobs.get()
    [name] = write_outputs(f"generations/secret-token/job-{job.pk}/attempt-1", [("image.png", PNG)])
    return GenerationOutput.objects.create(job=job, kind="image", file=name)


@pytest.fixture
def tom(django_user_model):
    from gradebook.accounts.roles import make_teacher
    from gradebook.courses.models import Course

    user = django_user_model.objects.create_user("tom", "tom@example.com", "tom-pass-123")
    make_teacher(user)
    Course.objects.create(slug="other", title="Other").teachers.add(user)
    return user


def _get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_the_student_who_made_it_and_the_courses_teacher_get_the_file(client, output, alice, tara):
    for user in (alice, tara):
        response = _get(client, user, output.url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "private, max-age=86400"


@pytest.mark.parametrize("who", ["anonymous", "bob", "tom"])
def test_nobody_else_gets_it(client, output, bob, tom, who):
    user = {"anonymous": None, "bob": bob, "tom": tom}[who]
    response = _get(client, user, output.url)
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 404
    assert PNG not in getattr(response, "content", b"")


def test_media_root_is_not_served_at_all(client, output, alice):
    # What the README used to publish: MEDIA_ROOT at /media/, with counting ids.
    client.force_login(alice)
    assert client.get(f"/media/{output.file.name}").status_code == 404
    assert (
        client.get(f"/media/generations/job-{output.job_id}/attempt-1/image.png").status_code == 404
    )


def test_a_wrong_file_name_or_id_is_a_404(client, output, alice):
    client.force_login(alice)
    assert (
        client.get(reverse("exercises:output", args=[output.pk, "frame-001.png"])).status_code
        == 404
    )
    assert (
        client.get(reverse("exercises:output", args=[output.pk + 99, "image.png"])).status_code
        == 404
    )


def test_nginx_and_apache_are_handed_the_file_to_send(client, output, alice, settings):
    client.force_login(alice)
    settings.MEDIA_SERVE = "nginx"
    response = client.get(output.url)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{output.file.name}"
    settings.MEDIA_SERVE = "apache"
    response = client.get(output.url)
    assert response["X-Sendfile"] == str(settings.MEDIA_ROOT / output.file.name)
    assert response.content == b""


def test_a_real_run_stores_under_an_unguessable_name_and_pages_link_the_view(
    client, alice, exercise_item, enrolled
):
    submission = services.exercise_submit(
        student=alice, item=exercise_item, prompt="a red apple", reflection=REFLECTION,
        settings_in={"image": {"steps": 2}},
    )  # fmt: skip
    for job in submission.jobs.all():
        services.jobs_run(job.pk, worker="test:1")
    names = [o.file.name for o in GenerationOutput.objects.filter(job__submission=submission)]
    assert names and all(
        re.fullmatch(r"generations/[\w-]{22}/job-\d+/attempt-1/[\w.-]+", n) for n in names
    )
    client.force_login(alice)
    page = client.get(reverse("exercises:submission", args=[submission.pk])).content.decode()
    image = GenerationOutput.objects.get(job__submission=submission, kind="image")
    assert f'src="{image.url}"' in page and "/media/" not in page
