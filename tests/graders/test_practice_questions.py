"""The course's practice questions and exercises, graded the way a careful teacher would.

Each row: the student's answer -> the verdict and what the feedback must say (a substring, or
the misconception tag after "#").
"""

import pytest

from graders import grade
from graders.examples import (
    COMPARE_MODELS,
    CROSS_ENTROPY,
    DENOISING_TIME,
    EXPLAIN_DIFFERENCE,
    VAE_COMPRESSION,
)


def check(part, outcome, expect):
    assert part.outcome == outcome, (part.outcome, part.feedback)
    if expect.startswith("#"):
        assert part.misconception == expect[1:], (part.misconception, part.feedback)
    elif expect:
        text = " ".join([part.feedback, *part.hints])
        assert expect.lower() in text.lower(), text


def part_of(item, response, pid):
    r = grade(item, response)
    return next(p for p in r.parts if p.id == pid)


# 1. Cross-entropy, natural-log form ------------------------------------------------------------
CE_EXACT = [
    ("-ln(0.3)", "correct", ""),
    ("ln(10/3)", "correct", ""),
    ("-log(0.3)", "correct", ""),
    (r"\ln\frac{10}{3}", "correct", ""),
    (r"-\ln(0.3)", "correct", ""),
    (r"-\ln\left(0.3\right)", "correct", ""),
    ("−ln(0.3)", "correct", ""),
    ("-ln(3/10)", "correct", ""),
    ("ln(1/0.3)", "correct", ""),
    ("ln(3.333333333333333333)", "correct", ""),
    ("-ln 0.3", "correct", ""),
    ("LN(10/3)", "correct", ""),
    ("ln(10)-ln(3)", "correct", ""),
    ("-(ln(3)-ln(10))", "correct", ""),
    ("$-\\ln(0.3)$", "correct", ""),
    ("-log10(0.3)", "incorrect", "#log-base"),
    ("-log_{10}(0.3)", "incorrect", ""),
    (r"-\log_{10}(0.3)", "incorrect", "#log-base"),
    ("ln(0.3)", "incorrect", "#sign"),
    ("log(0.3)", "incorrect", "#sign"),
    ("0.3", "incorrect", "#gave-probability"),
    ("-ln(0.5)", "incorrect", "#wrong-token"),
    ("-ln(0.2)", "incorrect", "#wrong-token"),
    ("1.204", "incorrect", "#wrong-form"),
    ("1.20397", "incorrect", "natural-log form"),
    ("log(10/3)/log(e)", "correct", ""),
    ("-ln(0.3", "invalid", "never closed"),
    ("-ln0.3)", "invalid", "brackets"),
    ("-ln(0.3))", "invalid", "no matching opening"),
    ("ln()", "invalid", "empty"),
    ("ln", "invalid", "needs an argument"),
    ("-ln(0,3)", "invalid", "decimal comma"),
    ("", "invalid", "no answer"),
]


@pytest.mark.parametrize(("answer", "outcome", "expect"), CE_EXACT)
def test_cross_entropy_in_natural_log_form(answer, outcome, expect):
    check(part_of(CROSS_ENTROPY, {"exact": answer, "decimal": "1.204"}, "exact"), outcome, expect)


CE_DECIMAL = [
    ("1.204", "correct", ""),
    ("1.2040", "correct", ""),
    ("1.2039728", "correct", ""),
    ("1.203", "correct", ""),
    ("1.205", "incorrect", "#precision"),
    ("1.2035", "correct", ""),
    ("-ln(0.3)", "invalid", "not an expression"),
    ("1.204 nats", "invalid", ""),
    ("1.2", "incorrect", "#precision"),
    ("1.21", "incorrect", "within ±0.001"),
    ("0.523", "incorrect", "#log-base"),
    ("0.5229", "incorrect", "#log-base"),
    ("-1.204", "incorrect", "#sign"),
    ("0.3", "incorrect", "#gave-probability"),
    ("0.693", "incorrect", "#wrong-token"),
    ("1.609", "incorrect", "#wrong-token"),
    ("12.04", "incorrect", "#power-of-ten"),
    ("0.1204", "incorrect", "#power-of-ten"),
    ("1,204", "invalid", "decimal"),
    ("L = 1.204", "correct", ""),
    ("≈1.204", "correct", ""),
    ("1.204.", "invalid", ""),
    ("one point two", "invalid", "not a unit or function"),
]


@pytest.mark.parametrize(("answer", "outcome", "expect"), CE_DECIMAL)
def test_cross_entropy_as_a_decimal(answer, outcome, expect):
    check(
        part_of(CROSS_ENTROPY, {"exact": "ln(10/3)", "decimal": answer}, "decimal"), outcome, expect
    )


def test_a_right_exact_form_tells_the_decimal_value():
    p = part_of(CROSS_ENTROPY, {"exact": "ln(10/3)", "decimal": "1.3"}, "decimal")
    assert p.outcome == "incorrect" and "1.20397" in p.feedback


def test_a_decimal_consistent_with_a_wrong_exact_form_points_at_the_exact_form():
    p = part_of(CROSS_ENTROPY, {"exact": "ln(0.5)", "decimal": "-0.693"}, "decimal")
    assert any("slip is in the exact answer" in h for h in p.hints)


def test_both_forms_right_is_full_credit():
    r = grade(CROSS_ENTROPY, {"exact": "-ln(0.3)", "decimal": "1.204"})
    assert (r.outcome, r.score) == ("correct", 1.0)


def test_one_form_right_is_half_credit():
    r = grade(CROSS_ENTROPY, {"exact": "-ln(0.3)", "decimal": "0.523"})
    assert (r.outcome, r.score) == ("partially_correct", 0.5)
    assert r.misconception == "log-base"


# 2. Denoising time -----------------------------------------------------------------------------
PER_IMAGE = [
    ("4", "invalid", "add a unit"),
    ("4 s", "correct", ""),
    ("4s", "correct", ""),
    ("4 sec", "correct", ""),
    ("4 secs", "correct", ""),
    ("4 seconds", "correct", ""),
    ("4 Seconds", "correct", ""),
    ("4.0 s", "correct", ""),
    ("4000 ms", "correct", ""),
    ("4000 milliseconds", "correct", ""),
    ("0.0667 min", "correct", ""),
    ("1/15 min", "correct", ""),
    ("50*0.08 s", "correct", ""),
    ("50 × 0.08 s", "correct", ""),
    ("50·0.08 s", "correct", ""),
    ("(50)(0.08) s", "correct", ""),
    ("4 \\mathrm{s}", "correct", ""),
    ("4\\,\\text{s}", "correct", ""),
    ("0.00111 h", "correct", ""),
    ("４ s", "correct", ""),
    ("4 초", "correct", ""),
    ("4000 밀리초", "correct", ""),
    ("t = 4 s", "correct", ""),
    ("≈ 4 s", "correct", ""),
    ("4 s.", "correct", ""),
    ("50 x 0.08 s", "correct", ""),
    ("0.08 s", "incorrect", "#per-step-for-total"),
    ("80 ms", "incorrect", "#per-step-for-total"),
    ("4 m", "incorrect", "#unit-dimension"),
    ("5 m", "incorrect", "expected a time"),
    ("4 kg", "incorrect", "expected a time"),
    ("4 MB", "incorrect", "expected a time"),
    ("4 min", "incorrect", "#unit-slip"),
    ("4 ms", "incorrect", "#unit-slip"),
    ("4000 s", "incorrect", "#power-of-ten"),
    ("40 s", "incorrect", "#power-of-ten"),
    ("-4 s", "incorrect", "#sign-error"),
    ("50 s", "incorrect", "#given-value"),
    ("3.9 s", "incorrect", "#precision"),
    ("4.04 s", "correct", ""),
    ("4 parsecs", "invalid", "parsecs"),
    ("4 s s", "incorrect", ""),
    ("s", "invalid", "put the number in front"),
    ("4,0 s", "invalid", "decimal comma"),
]


@pytest.mark.parametrize(("answer", "outcome", "expect"), PER_IMAGE)
def test_time_for_one_image(answer, outcome, expect):
    check(
        part_of(DENOISING_TIME, {"per_image": answer, "twelve": "48 s"}, "per_image"),
        outcome,
        expect,
    )


TWELVE = [
    # (per_image answer, twelve answer, outcome, expect, carried forward)
    ("4 s", "48 s", "correct", "", False),
    ("4 s", "48000 ms", "correct", "", False),
    ("4 s", "0.8 min", "correct", "", False),
    ("4 s", "12*4 s", "correct", "", False),
    ("5 s", "60 s", "correct", "earlier answer (per_image = 5 s)", True),
    ("5 s", "1 min", "correct", "carried forward", True),
    ("5 s", "48 s", "correct", "", False),
    ("5 s", "50 s", "incorrect", "", False),
    ("0.08 s", "0.96 s", "correct", "carried forward", True),
    ("4 s", "0.96 s", "incorrect", "#per-step-for-total", False),
    ("4 s", "4 s", "incorrect", "", False),
    ("4 s", "48 m", "incorrect", "#unit-dimension", False),
    ("4 s", "480 s", "incorrect", "#power-of-ten", False),
]


@pytest.mark.parametrize(("first", "answer", "outcome", "expect", "carried"), TWELVE)
def test_time_for_twelve_images_carries_an_error_forward(first, answer, outcome, expect, carried):
    p = part_of(DENOISING_TIME, {"per_image": first, "twelve": answer}, "twelve")
    check(p, outcome, expect)
    assert p.carried_forward is carried


def test_a_missing_part_makes_the_whole_answer_invalid_without_grading_the_rest():
    r = grade(DENOISING_TIME, {"per_image": "4 s"})
    assert r.outcome == "invalid" and r.score is None
    assert [p.outcome for p in r.parts] == ["not_graded", "invalid"]
    assert "12 images" in r.feedback


def test_a_wrong_first_part_with_carried_second_part_is_half_credit():
    r = grade(DENOISING_TIME, {"per_image": "5 s", "twelve": "60 s"})
    assert (r.outcome, r.score) == ("partially_correct", 0.5)


# 3. Explain one difference ---------------------------------------------------------------------
FREE = [
    (
        "LLMs write one token at a time; diffusion refines the whole image from noise.",
        "needs_review",
        "teacher",
    ),
    ("short", "invalid", "at least 20 characters"),
    ("   ", "invalid", "empty"),
    ("x" * 1001, "invalid", "at most 1000"),
]


@pytest.mark.parametrize(("answer", "outcome", "expect"), FREE)
def test_explaining_a_difference_goes_to_the_teacher(answer, outcome, expect):
    r = grade(EXPLAIN_DIFFERENCE, answer)
    assert r.outcome == outcome and r.score is None
    assert expect in r.feedback


# 4. The VAE exercise ---------------------------------------------------------------------------
VAE_RIGHT = {
    "raw": "3,145,728",
    "sd15_latent": "65,536",
    "sd15_ratio": "48",
    "sdxl_ratio": "48",
    "flux_latent": "262,144",
    "flux_ratio": "12",
}
VAE = [
    ("raw", "3145728", "correct", ""),
    ("raw", "3,145,728", "correct", ""),
    ("raw", "3 145 728", "invalid", "operator missing"),
    ("raw", "1024*1024*3", "correct", ""),
    ("raw", "1024×1024×3", "correct", ""),
    ("raw", "1024^2*3", "correct", ""),
    ("raw", "3.145728e6", "correct", ""),
    ("raw", "3.145728×10^6", "correct", ""),
    ("raw", "3.1e6", "incorrect", ""),
    ("raw", "3,145,72", "invalid", ""),
    ("raw", "1048576", "incorrect", ""),
    ("sd15_latent", "65536", "correct", ""),
    ("sd15_latent", "65,536", "correct", ""),
    ("sd15_latent", "128*128*4", "correct", ""),
    ("sd15_latent", "2^16", "correct", ""),
    ("sd15_latent", "65.536", "incorrect", "#power-of-ten"),
    ("sd15_ratio", "48", "correct", ""),
    ("sd15_ratio", "48x", "correct", ""),
    ("sd15_ratio", "48×", "correct", ""),
    ("sd15_ratio", "48 times", "correct", ""),
    ("sd15_ratio", "3145728/65536", "correct", ""),
    ("sd15_ratio", "1/48", "incorrect", ""),
    ("sd15_ratio", "4800%", "correct", ""),
    ("sdxl_ratio", "48", "correct", ""),
    ("sdxl_ratio", "12", "incorrect", ""),
    ("flux_latent", "262144", "correct", ""),
    ("flux_latent", "262,144", "correct", ""),
    ("flux_latent", "65536", "incorrect", "#channels"),
    ("flux_ratio", "12", "correct", ""),
    ("flux_ratio", "12.0", "correct", ""),
    ("flux_ratio", "48", "incorrect", ""),
]


@pytest.mark.parametrize(("pid", "answer", "outcome", "expect"), VAE)
def test_vae_compression_numbers(pid, answer, outcome, expect):
    parts = {**VAE_RIGHT, pid: answer}
    r = grade(VAE_COMPRESSION, {"reflection": "Fewer values: faster steps.", "parts": parts})
    p = next(p for p in r.parts if p.id == pid)
    check(p, outcome, expect)


def test_the_vae_exercise_goes_to_review_with_its_numbers_graded():
    r = grade(VAE_COMPRESSION, {"reflection": "Fewer values: faster steps.", "parts": VAE_RIGHT})
    assert r.outcome == "needs_review" and r.score is None
    assert all(p.outcome == "correct" for p in r.parts)


def test_a_wrong_flux_latent_carries_into_the_ratio():
    parts = {**VAE_RIGHT, "flux_latent": "65536", "flux_ratio": "48"}
    r = grade(VAE_COMPRESSION, {"reflection": "Fewer values: faster steps.", "parts": parts})
    ratio = next(p for p in r.parts if p.id == "flux_ratio")
    assert ratio.outcome == "correct" and ratio.carried_forward


def test_a_decimal_comma_is_refused_where_the_key_is_not_a_whole_thousand():
    spec = {
        "id": "d",
        "type": "numeric",
        "text": "?",
        "answer": 1.204,
        "tolerance": {"absolute": 0.001},
    }
    r = grade(spec, "1,204")
    assert r.outcome == "invalid"
    assert "point (1.204)" in r.feedback and "1204" in r.feedback


@pytest.mark.parametrize(
    ("reflection", "outcome"),
    [
        (
            "The text model explained; the image model drew a cat but misspelled the sign.",
            "needs_review",
        ),
        ("too short", "invalid"),
        ("x" * 201, "invalid"),
    ],
)
def test_the_compare_models_exercise_checks_the_reflection_length(reflection, outcome):
    assert grade(COMPARE_MODELS, {"reflection": reflection}).outcome == outcome
