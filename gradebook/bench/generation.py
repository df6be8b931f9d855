"""``python -m gradebook.bench.generation``: generation throughput and queue overhead here.

It runs in a throwaway deployment (its own SQLite file, media folder and broker folder under a
temporary directory) with the models ``prepare_models`` made, and reports:

1. 8 text prompts one by one vs as one batch, through the worker path (claim, runner, files,
   records: ``services.jobs_run``) and through the runner alone;
2. tokens/s of SmolLM2-135M for one prompt (greedy, 64 new tokens);
3. time per image step of the image pipeline at 64 and 128 px;
4. the queue's share of a job's time from submit to stored output, with a real worker process
   (``celery -A gradebook worker -Q gpu``) on the embedded transport, and on Redis with
   ``--redis redis://127.0.0.1:6379/3``.

Rounds alternate the compared variants and report medians, because the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

PROMPTS = [
    "Explain in one sentence what a token is.",
    "Why does temperature change what a language model writes?",
    "Describe a red apple on a wooden table.",
    "What is the capital of France?",
    "Name three colours of the rainbow.",
    "How does a diffusion model start an image?",
    "Write a haiku about autumn rain.",
    "What does a VAE do in Stable Diffusion?",
]

BENCH_SPEC: dict[str, Any] = {
    "id": "bench-exercise",
    "type": "exercise",
    "text": "Send the same prompt to a text model and an image model.",
    "models": ["text", "image"],
    "prompt": {"max_chars": 500},
    "reflection": {"max_chars": 200},
    "settings": {
        "text": {"max_new_tokens": {"default": 48, "max": 128}},
        # The sample bank's image defaults (banks/ai-generation-basics.yaml).
        "image": {
            "steps": {"default": 10, "max": 30},
            "guidance_scale": {"default": 2, "min": 0, "max": 12},
            "size": {"default": 64, "choices": [64, 128]},
        },
    },
}
REFLECTION = "The text answered; the image was noise."


def _configure(workdir: Path, broker_url: str) -> dict[str, str]:
    models_dir = Path(os.environ.get("MODELS_DIR", ROOT / "var" / "models"))
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": "locmem://",
        "VAR_DIR": str(workdir),
        "BROKER_DIR": str(workdir / "broker"),
        "MEDIA_ROOT": str(workdir / "media"),
        "MODELS_DIR": str(models_dir),
        "TEXT_MODEL": os.environ.get("TEXT_MODEL", str(models_dir / "smollm2-135m-instruct")),
        "IMAGE_MODEL": os.environ.get("IMAGE_MODEL", str(models_dir / "drawn-world-sd")),
        "GENERATION_HEARTBEAT_S": "3600",
        "GENERATION_MAX_WAITING_JOBS": "1000",
        "HF_HUB_OFFLINE": "1",
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
        "GENERATION_TORCH_THREADS": os.environ.get("GENERATION_TORCH_THREADS", "0"),
        "DJANGO_SETTINGS_MODULE": "gradebook.settings",
    }
    os.environ.update(env)
    return env


def _fixtures() -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    from gradebook.courses.models import Course, Item, Lesson

    student = get_user_model().objects.create_user("bench", "bench@example.com", "bench-pw-1")
    course = Course.objects.create(slug="bench", title="Bench")
    course.enroll(student)
    lesson = Lesson.objects.create(course=course, slug="bench", title="Bench")
    item = Item(
        course=course, lesson=lesson, key=BENCH_SPEC["id"], type="exercise", text=BENCH_SPEC["text"]
    )
    item.set_spec(BENCH_SPEC)
    return student, item


def _text_jobs(student: Any, item: Any, count: int, tokens: int) -> list[int]:
    """Queued text jobs written as ``exercise_submit`` writes them (nothing published)."""
    from exercises.models import ExerciseSubmission, GenerationJob
    from exercises.validation import clean_exercise
    from gradebook.quizzes.models import Attempt

    ids = []
    for index in range(count):
        clean = clean_exercise(
            item.spec,
            prompt=PROMPTS[index % len(PROMPTS)],
            reflection=REFLECTION,
            settings={"text": {"max_new_tokens": tokens, "seed": index}},
        )
        attempt = Attempt.objects.create(
            student=student,
            item=item,
            revision=item.current_revision(),
            number=Attempt.objects.filter(student=student, item=item).count() + 1,
            response=clean.response(),
            status="pending_review",
        )
        submission = ExerciseSubmission.objects.create(
            attempt=attempt, prompt=clean.prompt, settings=clean.settings
        )
        ids.append(
            GenerationJob.objects.create(
                submission=submission, student=student, kind="text", settings=clean.settings["text"]
            ).pk
        )
    return ids


def bench_batching(student: Any, item: Any, rounds: int, tokens: int) -> dict[str, Any]:
    from django.conf import settings

    from exercises.runners.base import TextRequest, get_runner
    from exercises.services import jobs_run

    runner = get_runner("text")
    requests = [TextRequest(p, max_new_tokens=tokens, seed=i) for i, p in enumerate(PROMPTS)]
    runner.run_batch(requests[:2])  # warm-up
    worker_single, worker_batch, runner_single, runner_batch = [], [], [], []
    for _ in range(rounds):
        settings.GENERATION_BATCH_SIZE = 1
        ids = _text_jobs(student, item, 8, tokens)
        started = time.perf_counter()
        for job_id in ids:
            jobs_run(job_id, worker="bench:1")
        worker_single.append(time.perf_counter() - started)

        settings.GENERATION_BATCH_SIZE = 8
        ids = _text_jobs(student, item, 8, tokens)
        started = time.perf_counter()
        stored = jobs_run(ids[0], worker="bench:1")
        worker_batch.append(time.perf_counter() - started)
        assert len(stored) == 8, stored

        started = time.perf_counter()
        for request in requests:
            runner.run_batch([request])
        runner_single.append(time.perf_counter() - started)
        started = time.perf_counter()
        runner.run_batch(requests)
        runner_batch.append(time.perf_counter() - started)
    return {
        "model": runner.info,
        "tokens": tokens,
        "worker_single_s": statistics.median(worker_single),
        "worker_batch_s": statistics.median(worker_batch),
        "runner_single_s": statistics.median(runner_single),
        "runner_batch_s": statistics.median(runner_batch),
    }


IMAGE_PROMPTS = [
    "a red circle in the top left on a blue background",
    "a red apple on a wooden table",
    "a yellow sun above a green tree",
    "a white square on a black background",
    "a orange triangle in the bottom right on a purple background",
    "a green tree on the grass",
    "a blue car at night",
    "a purple flower in the center on a yellow background",
]


def _image_jobs(student: Any, item: Any, count: int) -> list[int]:
    """Queued image jobs at the exercise's default image settings, one seed each."""
    from exercises.models import ExerciseSubmission, GenerationJob
    from exercises.validation import clean_exercise
    from gradebook.quizzes.models import Attempt

    ids = []
    for index in range(count):
        clean = clean_exercise(
            item.spec,
            prompt=IMAGE_PROMPTS[index % len(IMAGE_PROMPTS)],
            reflection=REFLECTION,
            settings={"image": {"seed": index}},
        )
        attempt = Attempt.objects.create(
            student=student,
            item=item,
            revision=item.current_revision(),
            number=Attempt.objects.filter(student=student, item=item).count() + 1,
            response=clean.response(),
            status="pending_review",
        )
        submission = ExerciseSubmission.objects.create(
            attempt=attempt, prompt=clean.prompt, settings=clean.settings
        )
        ids.append(
            GenerationJob.objects.create(
                submission=submission,
                student=student,
                kind="image",
                settings=clean.settings["image"],
            ).pk
        )
    return ids


def bench_image_batching(student: Any, item: Any, rounds: int) -> dict[str, Any]:
    """8 image jobs one by one vs as one batch through the worker path (files and records too)."""
    from django.conf import settings

    from exercises.runners.base import ImageRequest, get_runner
    from exercises.services import jobs_run

    runner = get_runner("image")
    runner.run_batch([ImageRequest("warm up", steps=2, size=64)])
    single, batch = [], []
    for _ in range(rounds):
        settings.GENERATION_BATCH_SIZE = 1
        ids = _image_jobs(student, item, 8)
        started = time.perf_counter()
        for job_id in ids:
            jobs_run(job_id, worker="bench:1")
        single.append(time.perf_counter() - started)

        settings.GENERATION_BATCH_SIZE = 8
        ids = _image_jobs(student, item, 8)
        started = time.perf_counter()
        stored = jobs_run(ids[0], worker="bench:1")
        batch.append(time.perf_counter() - started)
        assert len(stored) == 8, stored
    image = BENCH_SPEC["settings"]["image"]
    return {
        "model": runner.info,
        "steps": image["steps"]["default"],
        "guidance_scale": image["guidance_scale"]["default"],
        "single_s": statistics.median(single),
        "batch_s": statistics.median(batch),
    }


def _print_image_batching(rounds: int, student: Any, item: Any) -> None:
    b = bench_image_batching(student, item, rounds)
    print(
        f"image model: {b['model'].model_id} ({b['model'].device}, {b['model'].dtype}), "
        f"64x64, {b['steps']} steps, guidance {b['guidance_scale']}, with filmstrip; "
        f"median of {rounds} alternating rounds, worker path (claim, run, files, records):"
    )
    print(
        f"  8 jobs one by one {b['single_s']:.2f} s ({b['single_s'] / 8:.3f} s per image) | "
        f"one batch of 8 {b['batch_s']:.2f} s | images/s ratio "
        f"{b['single_s'] / b['batch_s']:.1f}x"
    )


def bench_image_parts(rounds: int, calls: int = 5) -> dict[int, dict[str, float]]:
    """One UNet call with guidance and one VAE decode, for 1 image and for 8 (median seconds).

    Says where a batch's time goes: parts whose time barely grows with the batch are what
    batching can share; parts that grow eightfold are arithmetic it cannot.
    """
    import torch

    from exercises.runners.base import get_runner

    pipe = get_runner("image").pipe
    unet, vae = pipe.unet, pipe.vae
    channels, side = unet.config.in_channels, unet.config.sample_size
    width = pipe.text_encoder.config.hidden_size
    length = pipe.tokenizer.model_max_length

    def timed(call: Any) -> float:
        call()
        started = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - started) / calls

    out: dict[int, dict[str, float]] = {}
    with torch.inference_mode():
        for batch in (1, 8):
            latents = torch.randn(batch, channels, side, side)
            doubled = torch.cat([latents, latents])  # guidance: unconditional and conditional
            context = torch.randn(2 * batch, length, width)
            unet_s, decode_s = [], []
            for _ in range(rounds):
                unet_s.append(timed(partial(unet, doubled, 500, encoder_hidden_states=context)))
                decode_s.append(timed(partial(vae.decode, latents)))
            out[batch] = {
                "unet_s": statistics.median(unet_s),
                "decode_s": statistics.median(decode_s),
            }
    return out


def _print_image_parts(rounds: int) -> None:
    parts = bench_image_parts(rounds)
    one, eight = parts[1], parts[8]
    print("  where a batch's time goes (median of 5-call means; ratio = 8 x one / eight):")
    for key, label in (("unet_s", "UNet call with guidance"), ("decode_s", "VAE decode")):
        print(
            f"    {label}: one image {one[key] * 1000:.1f} ms | eight {eight[key] * 1000:.1f} ms"
            f" | batching gives {8 * one[key] / eight[key]:.1f}x"
        )


def bench_tokens_per_second(rounds: int, tokens: int = 64) -> dict[str, Any]:
    from exercises.runners.base import TextRequest, get_runner

    runner = get_runner("text")
    rates, generated = [], []
    for _ in range(rounds):
        [result] = runner.run_batch(
            [
                TextRequest(
                    "Explain how a language model picks the next word, step by step.",
                    max_new_tokens=tokens,
                    temperature=0.0,
                )
            ]
        )
        count = len(result.tokens)
        generated.append(count)
        rates.append(count / result.timings["batch_seconds"])
    return {
        "tokens_per_s": statistics.median(rates),
        "tokens": statistics.median(generated),
        "dtype": runner.info.dtype,
    }


def bench_image_steps(rounds: int) -> dict[int, dict[str, float]]:
    from exercises.runners.base import ImageRequest, get_runner

    runner = get_runner("image")
    runner.run_batch([ImageRequest("warm up", steps=2, size=64)])
    out = {}
    for size in (64, 128):
        per_step, decode = [], []
        for index in range(rounds):
            [result] = runner.run_batch(
                [ImageRequest("a red apple on a table", steps=10, size=size, seed=index)]
            )
            per_step.append(statistics.median(result.step_seconds[1:]))
            decode.append(result.timings["filmstrip_decode_seconds"] / len(result.frames))
        out[size] = {
            "step_s": statistics.median(per_step),
            "frame_decode_s": statistics.median(decode),
        }
    return out


def thread_probe(threads: int) -> None:
    """One variant of ``bench_threads``, in its own process: print SmolLM2's tokens/s.

    Model libraries are imported here, when the probe runs, never when the module is imported.
    """
    import django

    django.setup()
    import torch

    from exercises.runners.base import TextRequest
    from exercises.runners.text import TransformersTextRunner

    torch.set_num_threads(threads)
    runner = TransformersTextRunner.load(os.environ["TEXT_MODEL"])
    runner.run_batch([TextRequest("warm up", max_new_tokens=2)])
    request = TextRequest(
        "Explain how a language model picks the next word.", max_new_tokens=16, temperature=0.0
    )
    [result] = runner.run_batch([request])
    print(len(result.tokens) / result.timings["batch_seconds"])


def bench_threads(rounds: int) -> None:
    """Each variant in a fresh process (OpenMP reads its wait policy once), rounds alternating."""
    models_dir = Path(os.environ.get("MODELS_DIR", ROOT / "var" / "models"))
    variants = [("1", "PASSIVE"), ("2", "PASSIVE"), ("2", "ACTIVE")]
    rates: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    for _ in range(rounds):
        for threads, policy in variants:
            env = {
                **os.environ,
                "OMP_WAIT_POLICY": policy,
                "PYTHONPATH": str(ROOT),
                "DJANGO_SETTINGS_MODULE": "gradebook.settings",
                "TEXT_MODEL": os.environ.get(
                    "TEXT_MODEL", str(models_dir / "smollm2-135m-instruct")
                ),
            }
            done = subprocess.run(
                [sys.executable, "-m", "gradebook.bench.generation", "--probe-threads", threads],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            rates[(threads, policy)].append(float(done.stdout.strip().splitlines()[-1]))
    print(
        f"# SmolLM2-135M, one prompt, 16 greedy tokens, median of {rounds} alternating "
        f"rounds, load average {os.getloadavg()[0]:.1f}"
    )
    for (threads, policy), values in rates.items():
        print(
            f"  torch threads {threads}, OMP_WAIT_POLICY={policy}: "
            f"{statistics.median(values):.1f} tokens/s"
        )


def _start_worker(env: dict[str, str]) -> tuple[subprocess.Popen, list[str]]:
    log: list[str] = []
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gradebook",
            "worker",
            "-Q",
            "gpu",
            "--pool",
            "prefork",
            "-c",
            "1",
            "-n",
            "bench@%h",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def read() -> None:
        assert worker.stdout is not None
        for line in worker.stdout:
            log.append(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 300
    while not any("generation models in worker child" in line for line in log):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("worker did not start:\n" + "".join(log[-30:]))
        time.sleep(0.2)
    return worker, log


def bench_queue_share(
    student: Any, item: Any, env: dict[str, str], submissions: int, label: str
) -> dict[str, Any]:
    """Submit through ``exercise_submit`` (published on commit) to a real, warm worker."""
    from exercises.models import GenerationJob
    from exercises.services import exercise_submit

    url = env["CELERY_BROKER_URL"]
    if url.startswith("redis"):
        import redis

        redis.Redis.from_url(url).delete("gpu")  # stale messages from an earlier run
    worker, _ = _start_worker(env)
    shares: dict[str, list[float]] = {"text": [], "image": []}
    totals: dict[str, list[float]] = {"text": [], "image": []}
    try:
        for index in range(submissions):
            submitted_wall = time.time()
            submission = exercise_submit(
                student=student,
                item=item,
                prompt=PROMPTS[index],
                reflection=REFLECTION,
                settings_in={"text": {"max_new_tokens": 16}},
            )
            deadline = time.monotonic() + 300
            while GenerationJob.objects.filter(
                submission=submission, status__in=["queued", "running"]
            ).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError("a bench job did not finish")
                time.sleep(0.05)
            for job in submission.jobs.all():
                assert job.status == "succeeded", job.error_detail
                total = job.finished_at.timestamp() - submitted_wall
                waited = job.started_at.timestamp() - submitted_wall
                shares[job.kind].append(waited / total)
                totals[job.kind].append(total)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "label": label,
        "submissions": submissions,
        "text_share": statistics.median(shares["text"]),
        "text_total_s": statistics.median(totals["text"]),
        "image_share": statistics.median(shares["image"]),
        "image_total_s": statistics.median(totals["image"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=32, help="new tokens per batched prompt")
    parser.add_argument("--submissions", type=int, default=5)
    parser.add_argument(
        "--broker",
        default="filesystem://",
        help="broker for the queue measurement, e.g. redis://127.0.0.1:6379/3",
    )
    parser.add_argument(
        "--only",
        choices=["all", "queue", "threads", "image"],
        default="all",
        help="queue: only the queue's share (e.g. for a second broker); "
        "threads: SmolLM2 speed per torch thread count and OpenMP wait policy; "
        "image: the image model's batch of 8 against one by one, and where its time goes",
    )
    parser.add_argument("--probe-threads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_threads:
        thread_probe(args.probe_threads)
        return
    if args.only == "threads":
        bench_threads(args.rounds)
        return

    workdir = Path(tempfile.mkdtemp(prefix="exercises-bench-"))
    env = _configure(workdir, args.broker)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    student, item = _fixtures()
    from django.conf import settings

    if settings.GENERATION_TORCH_THREADS > 0:  # as the worker child does
        import torch

        torch.set_num_threads(settings.GENERATION_TORCH_THREADS)

    import torch

    print(
        f"# gradebook.bench.generation on {os.cpu_count()} CPUs, "
        f"torch threads {torch.get_num_threads()}, "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, load average "
        f"{os.getloadavg()[0]:.1f}, workdir {workdir}"
    )
    if args.only == "image":
        _print_image_batching(args.rounds, student, item)
        _print_image_parts(args.rounds)
        return
    if args.only == "all":
        _model_figures(student, item, args)
        _print_image_batching(args.rounds, student, item)
    q = bench_queue_share(student, item, env, args.submissions, args.broker.split(":")[0])
    print(
        f"queue share, {q['label']} broker, {q['submissions']} submissions (text 16 tokens + "
        "image 10 steps, one warm worker):"
    )
    print(
        f"  text job (first in line): {q['text_share'] * 100:.1f}% of "
        f"{q['text_total_s']:.2f} s submit->stored"
    )
    print(
        f"  image job (behind the text job on the same worker): "
        f"{q['image_share'] * 100:.1f}% of {q['image_total_s']:.2f} s"
    )


def _model_figures(student: Any, item: Any, args: Any) -> None:
    b = bench_batching(student, item, args.rounds, args.tokens)
    info = b["model"]
    print(f"text model: {info.model_id} ({info.device}, {info.dtype})")
    print(f"8 prompts x {b['tokens']} new tokens, median of {args.rounds} alternating rounds:")
    print(
        f"  worker path  one by one {b['worker_single_s']:.2f} s | one batch "
        f"{b['worker_batch_s']:.2f} s | speed-up {b['worker_single_s'] / b['worker_batch_s']:.1f}x"
    )
    print(
        f"  runner alone one by one {b['runner_single_s']:.2f} s | one batch "
        f"{b['runner_batch_s']:.2f} s | speed-up {b['runner_single_s'] / b['runner_batch_s']:.1f}x"
    )
    print(
        f"  batched throughput {8 * b['tokens'] / b['worker_batch_s']:.0f} tokens/s (worker path)"
    )
    t = bench_tokens_per_second(args.rounds)
    print(
        f"one prompt, greedy, {t['tokens']:.0f} new tokens: {t['tokens_per_s']:.1f} tokens/s "
        f"({t['dtype']})"
    )
    for size, figures in bench_image_steps(args.rounds).items():
        print(
            f"image {size}x{size}, 10 steps: {figures['step_s'] * 1000:.1f} ms per step "
            f"(median, first step excluded), filmstrip frame decode "
            f"{figures['frame_decode_s'] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
