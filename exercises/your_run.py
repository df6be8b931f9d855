"""The values a "your run" item asks about, read from the student's own generation job.

Each value is rounded the way it is shown (4 significant digits), and the item's key is computed
from the shown values: the student can check their answer by hand from what they see.

Text model (``from_run: {model: text, position: k, tokens: n}``):
  ``token`` the k-th generated token, ``p`` its probability, ``k``; ``p1`` … ``pn`` the
  probabilities of the first n tokens (n defaults to 3), ``n``.
Image model (``from_run: {model: image}``):
  ``steps``, ``step_time`` (measured seconds per denoising step), ``size`` (pixels per side),
  ``c``, ``h``, ``w`` (the latent the VAE produced), ``latent`` ("4×8×8").
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from gradebook.quizzes.run_values import NoRun, RunValues

DEFAULT_TOKENS = 3


def _round(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


def text_values(result: dict[str, Any], *, position: int = 1, tokens: int = DEFAULT_TOKENS) -> dict:
    """Values from a text job's stored result (its scoreboard); ``{}`` when it is too short."""
    board = result.get("scoreboard") or []
    if len(board) < max(position, 1):
        return {}
    chosen = board[position - 1]
    n = min(tokens, len(board))
    values: dict[str, Any] = {
        "token": str(chosen.get("token", "")),
        "p": _round(float(chosen.get("probability", 0.0))),
        "k": position,
        "n": n,
    }
    for i in range(n):
        values[f"p{i + 1}"] = _round(float(board[i].get("probability", 0.0)))
    return values


def image_values(result: dict[str, Any]) -> dict[str, Any]:
    """Values from an image job's stored result; ``{}`` when it lacks the measurements."""
    shape = result.get("latent_shape") or []
    if len(shape) != 3 or not result.get("steps") or not result.get("seconds_per_step"):
        return {}
    c, h, w = (int(x) for x in shape)
    return {
        "steps": int(result["steps"]),
        "step_time": _round(float(result["seconds_per_step"])),
        "size": int(result.get("size") or 0),
        "c": c,
        "h": h,
        "w": w,
        "latent": f"{c}×{h}×{w}",
    }


def _shown(model: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    if model == "text":
        lines = [
            (
                _("Token the model chose at position %(k)s") % {"k": values["k"]},
                f"“{values['token']}”",
            ),
            (_("Its probability"), f"{values['p']:g}"),
        ]
        probs = ", ".join(f"{values[f'p{i + 1}']:g}" for i in range(values["n"]))
        lines.append((_("Probabilities of the first %(n)s tokens") % {"n": values["n"]}, probs))
        return lines
    return [
        (_("Denoising steps"), str(values["steps"])),
        (_("Measured time per step (s)"), f"{values['step_time']:g}"),
        (_("Image size (pixels per side)"), str(values["size"])),
        (_("Latent the VAE produced"), values["latent"]),
    ]


def run_values_for(student: Any, item: Any, from_run: dict[str, Any]) -> RunValues | NoRun | None:
    """The student's latest successful run of the named exercise, as values for ``item``."""
    from exercises.models import GenerationJob, JobStatus
    from gradebook.courses.models import Item

    exercise = (
        Item.objects.filter(course_id=item.course_id, key=from_run.get("exercise"))
        .only("pk", "title", "key")
        .first()
    )
    if exercise is None:
        return None
    model = from_run.get("model", "text")
    job = (
        GenerationJob.objects.filter(
            student=student,
            kind=model,
            status=JobStatus.SUCCEEDED,
            submission__attempt__item=exercise,
        )
        .order_by("-finished_at", "-pk")
        .select_related("submission")
        .first()
    )
    url = reverse("exercises:form", args=[exercise.pk])
    if job is None:
        return NoRun(exercise_title=exercise.title or exercise.key, url=url)
    if model == "text":
        values = text_values(
            job.result,
            position=int(from_run.get("position") or 1),
            tokens=int(from_run.get("tokens") or DEFAULT_TOKENS),
        )
    else:
        values = image_values(job.result)
    if not values:  # a run too short for the question: as good as none
        return NoRun(exercise_title=exercise.title or exercise.key, url=url)
    return RunValues(
        values=values,
        shown=_shown(model, values),
        url=reverse("exercises:submission", args=[job.submission_id]),
        when=job.finished_at,
    )
