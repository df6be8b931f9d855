"""The walk of one API answer, from the view to the stored verdict and XP, stays short.

A newcomer follows an answer by opening the function each call leads to. This test records
that walk with ``sys.setprofile`` while a real answer goes through the API, and counts the
files it enters outside ``graders/`` (the pure grading library, read on its own). Rules of
the count, written down in docs/student-flow.md ("The answer path"):

- A call into another file is a step of the walk; a return to the caller is not (its line is
  still on the reader's screen).
- A call into a function that calls nothing in another file of the project, itself or through
  its own file's functions, is a dead end read where it is called (a predicate, a parser, a
  formatter): not a step.
- The database backend (``gradebook/db/``, a Django backend: infrastructure like Django's
  own) and other apps' signal receivers are not the answer path. The hand-written SQL is:
  ``gradebook/hotpath.py`` counts like any file.
- A *return* is a step into a file the walk already entered.

The walk ends when ``on_attempt_scored`` has stored the XP (or ``submit_answer`` returns,
for an answer that earns none).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db

ROOT = str(Path(__file__).resolve().parents[3]) + "/"
NOT_PROJECT = (".venv/", "graders/", "tests/")
MACHINERY = ("gradebook/db/",)
RECEIVERS = ("gradebook/lti/receivers.py",)
MAX_FILES, MAX_RETURNS = 5, 3


@dataclass
class Call:
    file: str
    name: str
    frame: Any
    children: list[Call] = field(default_factory=list)

    def steps_out(self) -> bool:
        """Whether it calls anything in another file (machinery included), itself or through
        functions of its own file."""
        return any(
            (c.file != self.file and not c.file.startswith(RECEIVERS))
            or (c.file == self.file and c.steps_out())
            for c in self.children
        )


def _project_file(filename: str) -> str | None:
    if not filename.startswith(ROOT):
        return None
    relative = filename[len(ROOT) :]
    return None if relative.startswith(NOT_PROJECT) else relative


def record(request: Any) -> Call:
    """The tree of project calls from ``Submit.post`` until the verdict and XP are stored."""
    stack: list[Call] = []
    roots: list[Call] = []
    done = False

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal done
        if done or event not in ("call", "return"):
            return
        path = _project_file(frame.f_code.co_filename)
        if path is None:
            return
        name = frame.f_code.co_name
        if event == "call":
            if stack:
                stack[-1].children.append(Call(path, name, frame))
                stack.append(stack[-1].children[-1])
            elif not roots and (path, name) == ("gradebook/quizzes/api.py", "post"):
                roots.append(Call(path, name, frame))
                stack.append(roots[0])
        elif stack and stack[-1].frame is frame:
            stack.pop()
            done = name in ("on_attempt_scored", "submit_answer")

    sys.setprofile(profile)
    try:
        request()
    finally:
        sys.setprofile(None)
    assert roots, "the view was not entered"
    return roots[0]


def walk(root: Call) -> list[tuple[str, str]]:
    """The steps: (file, function) for each call into another file that leads on."""
    steps: list[tuple[str, str]] = []

    def visit(call: Call, current: str | None) -> None:
        here = current
        counted = not call.file.startswith(MACHINERY + RECEIVERS)
        if counted and call.file != current and call.steps_out():
            steps.append((call.file, call.name))
            here = call.file
        for child in call.children:
            visit(child, here)

    visit(root, None)
    return steps


def _measure(api_client: Any, course: Any, answers: list[str]) -> list[tuple[str, str]]:
    cache.clear()
    url = reverse("api-submit", args=[item(course, "ce-loss").pk])
    for earlier in answers[:-1]:
        assert api_client.post(url, {"response": earlier}, format="json").status_code == 201
    root = record(lambda: api_client.post(url, {"response": answers[-1]}, format="json"))
    return walk(root)


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(["-ln(0.3)"], id="a first answer, right: XP, achievements"),
        pytest.param(["1", "-ln(0.3)"], id="a right retry: XP under the lock"),
        pytest.param(["1", "2"], id="a wrong retry: stored without the lock"),
    ],
)
def test_one_answer_walks_through_few_files(api_client, course, answers):
    steps = _measure(api_client, course, answers)
    files = list(dict.fromkeys(file for file, _ in steps))
    returns = len(steps) - len(files)
    shown = "\n".join(f"  {file}: {name}" for file, name in steps)
    assert steps[0] == ("gradebook/quizzes/api.py", "post")
    assert ("gradebook/quizzes/services.py", "submit_answer") in steps
    assert len(files) <= MAX_FILES and returns <= MAX_RETURNS, (
        f"{len(files)} files, {returns} returns:\n{shown}"
    )


def test_the_walk_counts_a_step_into_a_file_already_left():
    def leaf(path: str, name: str) -> Call:
        return Call(path, name, None)

    hot = Call(
        "gradebook/hotpath.py", "q", None, [leaf("gradebook/db/postgresql/base.py", "execute")]
    )
    service = Call("gradebook/quizzes/services.py", "submit_answer", None, [hot, hot])
    root = Call("gradebook/quizzes/api.py", "post", None, [service, leaf("x.py", "leaf")])
    assert walk(root) == [
        ("gradebook/quizzes/api.py", "post"),
        ("gradebook/quizzes/services.py", "submit_answer"),
        ("gradebook/hotpath.py", "q"),
        ("gradebook/hotpath.py", "q"),
    ]
