"""The deployment check's exactly-once checker passes clean runs and catches each way a job
can run twice or lose its outputs. (The deployment itself is too slow for the suite: its
figures and command are in docs/benchmarks.md.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy_check.py"


@pytest.fixture(scope="module")
def deploy_check():
    spec = importlib.util.spec_from_file_location("deploy_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["deploy_check"] = module  # its dataclasses look their module up while built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("deploy_check", None)


@pytest.fixture
def world(deploy_check, tmp_path):
    """Two gpu workers (children 101 and 202), a text and an image job, their files on disk."""
    media = tmp_path / "media"
    workers = [
        deploy_check.Process("gpu1", None, tmp_path / "gpu1.log", pids={100, 101}),
        deploy_check.Process("gpu2", None, tmp_path / "gpu2.log", pids={200, 202}),
    ]

    def job(job_id, kind, worker, attempts=1, files=None):
        files = files or (
            ["text.json"] if kind == "text" else ["image.png", "frame-001.png", "frame-002.png"]
        )
        outputs = []
        for name in files:
            path = media / "generations" / "Xy7" / f"job-{job_id}" / f"attempt-{attempts}" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"data")
            kind_of = "text" if name.endswith(".json") else "frame" if "frame" in name else "image"
            outputs.append({"kind": kind_of, "file": str(path.relative_to(media))})
        return {
            "id": job_id,
            "kind": kind,
            "status": "succeeded",
            "attempts": attempts,
            "worker": f"host:{worker}",
            "error_detail": "",
            "outputs": outputs,
        }

    return media, workers, job


def test_a_clean_run_passes_and_counts_jobs_per_worker(deploy_check, world):
    media, workers, job = world
    jobs = [job(1, "text", 101), job(2, "image", 202), job(3, "text", 202)]

    assert deploy_check.check_exactly_once(jobs, workers, media) == {"gpu1": 1, "gpu2": 2}


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda j, media: j.update(attempts=2), "claimed 2 times"),
        (lambda j, media: j.update(worker="host:999"), "ran outside the gpu workers"),
        (lambda j, media: j.update(status="failed", error_detail="boom"), "job 1 failed"),
        (lambda j, media: j["outputs"].append(dict(j["outputs"][0])), "has outputs"),
        (
            lambda j, media: (media / j["outputs"][0]["file"]).unlink(),
            "is not in the shared folder",
        ),
        (
            lambda j, media: (media / "generations" / "Qz9" / "job-1" / "attempt-2").mkdir(
                parents=True
            ),
            "has output folders",
        ),
    ],
    ids=["claimed twice", "unknown worker", "failed", "outputs twice", "file lost", "ran twice"],
)
def test_each_way_of_running_twice_or_losing_outputs_is_caught(deploy_check, world, spoil, message):
    media, workers, job = world
    jobs = [job(1, "text", 101), job(2, "image", 202)]
    spoil(jobs[0], media)

    with pytest.raises(deploy_check.CheckFailed, match=message):
        deploy_check.check_exactly_once(jobs, workers, media)


def test_the_report_gives_the_ratio_of_two_workers_to_one(deploy_check):
    one = deploy_check.RoundResult(1, 40, 60.0, {"gpu1": 40}, 20.0, [8] * 40, {"text": 1.0})
    two = deploy_check.RoundResult(
        2, 40, 40.0, {"gpu1": 20, "gpu2": 20}, 9.0, [8] * 40, {}, {"image": 2048}
    )
    meta = {
        "students": 20,
        "jobs": 40,
        "web_workers": 3,
        "torch_threads": 1,
        "tokens": 24,
        "models": {"text": "t", "image": "i"},
        "load": "1.0",
    }

    text = deploy_check.report([one, two], None, meta)

    assert "**1.50x** (60.0 vs 40.0 jobs/min)" in text
    assert "all 80 jobs succeeded" in text
    assert "image 2.0 KiB" in text
