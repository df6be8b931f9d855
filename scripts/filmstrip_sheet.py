"""The model card's figure: filmstrips of the course image model at the exercise's defaults.

    .venv/bin/python scripts/filmstrip_sheet.py [--model FOLDER] [--out PNG] [--seed 0]

One row per prompt (the lesson's own prompts and a few of the world's), the filmstrip frames the
exercise page shows and then the final picture, 64 px each; written to
``static/exercises/image-model-filmstrips.png`` (docs/image-model.md shows it).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPTS = (
    "a red circle in the top left on a blue background",
    "a red apple on a wooden table",
    "a yellow sun above a green tree",
    "a white square on a black background",
    "a green tree on the grass",
    "a blue car at night",
    "a yellow star in the sky",
    "a orange triangle in the bottom right on a purple background",
)


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")
    import django

    django.setup()
    from image_quality import bank_image_defaults
    from PIL import Image

    from exercises.runners.base import ImageRequest
    from exercises.runners.image import DiffusersImageRunner
    from exercises.training import DEFAULT_OUT

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "static" / "exercises" / "image-model-filmstrips.png"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    defaults = bank_image_defaults()
    runner = DiffusersImageRunner.load(str(args.model))
    requests = [
        ImageRequest(
            prompt, defaults["steps"], defaults["guidance_scale"], defaults["size"], args.seed
        )
        for prompt in PROMPTS
    ]
    results = runner.run_batch(requests)
    size = int(defaults["size"])
    columns = len(results[0].frames) + 1
    sheet = Image.new("RGB", (columns * size, len(results) * size))
    for row, result in enumerate(results):
        pictures = [png for _, png in result.frames] + [result.png]
        for column, png in enumerate(pictures):
            sheet.paste(Image.open(io.BytesIO(png)).convert("RGB"), (column * size, row * size))
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({len(results)} rows, {columns} columns, seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
