"""How well the course image model draws the core grammar, read from its pixels.

    .venv/bin/python scripts/image_quality.py [--model FOLDER] [--prompts 200]

Renders core-grammar prompts ("a red circle in the top left on a blue background") with image
seeds the model never saw, at the sample exercise's default image settings (read from the
bank), and prints the share read right per attribute beside the goals of issue 12. Exits 1 when
a goal is missed. Figures and the command are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bank_image_defaults() -> dict[str, float]:
    """steps, guidance_scale and size defaults of the sample bank's image exercise."""
    import yaml

    bank = yaml.safe_load((ROOT / "banks" / "ai-generation-basics.yaml").read_text())
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            image = (
                node.get("settings", {}).get("image")
                if isinstance(node.get("settings"), dict)
                else None
            )
            if isinstance(image, dict) and "steps" in image:
                found.append(image)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bank)
    if not found:
        raise SystemExit("no image exercise with settings in banks/ai-generation-basics.yaml")
    image = found[0]
    return {
        "steps": int(image["steps"]["default"]),
        "guidance_scale": float(image["guidance_scale"]["default"]),
        "size": int(image["size"]["default"]),
    }


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")
    import django

    django.setup()
    from exercises.training import DEFAULT_OUT

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_OUT, help="pipeline folder")
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--steps", type=int, help="override the bank default")
    parser.add_argument("--guidance", type=float, help="override the bank default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show-misses", type=int, default=10)
    args = parser.parse_args()

    import torch

    from exercises.imageworld.quality import GOALS, check
    from exercises.runners.image import DiffusersImageRunner

    torch.set_num_threads(args.threads)
    defaults = bank_image_defaults()
    steps = args.steps or defaults["steps"]
    guidance = defaults["guidance_scale"] if args.guidance is None else args.guidance
    runner = DiffusersImageRunner.load(str(args.model))
    report = check(
        runner,
        args.prompts,
        steps=steps,
        guidance_scale=guidance,
        size=int(defaults["size"]),
        progress=lambda done, total: print(f"\r{done}/{total}", end="", file=sys.stderr),
    )
    print(file=sys.stderr)
    summary = report.summary()
    print(
        json.dumps(
            {
                "model": str(args.model),
                "prompts": report.cases,
                "steps": steps,
                "guidance_scale": guidance,
                "size": defaults["size"],
                "percent_right": summary,
                "goals": GOALS,
                "seconds": round(report.seconds, 1),
            },
            indent=1,
        )
    )
    for case, got in report.misses[: args.show_misses]:
        print(f"miss: {case.prompt!r} seed {case.seed} read as {got}")
    return 0 if all(summary[key] >= goal for key, goal in GOALS.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
