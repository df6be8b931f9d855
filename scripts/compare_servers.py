"""Submit throughput on each WSGI server configuration, side by side (issue 19, point 7).

Runs ``scripts/load_submit.py`` once per configuration, one after another on the same machine
(each with its own bare-endpoint baseline measured alternately with submit, so each ratio is
fair even if the machine's load drifts between configurations), then prints one table.

    .venv/bin/python scripts/compare_servers.py --duration 15 --rounds 3 --paced 250

Needs ``wrk`` (apt-get install wrk) and granian (requirements/dev.txt).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (label, load_submit.py arguments): sync workers, threads, granian's WSGI.
CONFIGS = [
    ("gunicorn sync, 4 workers", ["--server", "gunicorn", "--workers", "4"]),
    (
        "gunicorn gthread, 4 workers x 4 threads",
        ["--server", "gunicorn", "--workers", "4", "--worker-class", "gthread", "--threads", "4"],
    ),
    ("granian WSGI, 4 workers x 1 thread", ["--server", "granian", "--workers", "4"]),
    (
        "granian WSGI, 2 workers x 4 threads",
        ["--server", "granian", "--workers", "2", "--threads", "4"],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="15")
    parser.add_argument("--rounds", default="3")
    parser.add_argument("--paced", default="250")
    parser.add_argument("--students", default="100")
    parser.add_argument("--only", help="comma-separated indexes into the configurations")
    args = parser.parse_args()
    chosen = CONFIGS
    if args.only:
        chosen = [CONFIGS[int(i)] for i in args.only.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (label, extra) in enumerate(chosen):
            out = Path(tmp) / f"{index}.json"
            cmd = [
                sys.executable, str(ROOT / "scripts" / "load_submit.py"),
                "--duration", args.duration, "--rounds", args.rounds, "--paced", args.paced,
                "--students", args.students, "--json", str(out), *extra,
            ]  # fmt: skip
            print(f"== {label}", file=sys.stderr, flush=True)
            subprocess.run(cmd, check=True, cwd=ROOT)
            rows.append((label, json.loads(out.read_text())))
    print()
    print(
        "| server | bare req/s | submit req/s | submit / bare | submit p99 ms (saturated) "
        "| submit p99 ms (paced) | paced req/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, r in rows:
        paced = next((v for k, v in r["paced"].items() if k.endswith("submit")), None)
        print(
            f"| {label} | {r['bare_rps']:.0f} | {r['submit_rps']:.0f} | {r['ratio']:.2f}x | "
            f"{r['submit_p99_ms']:.1f} | "
            + (f"{paced['p99']:.1f} | {paced['rps']:.0f} |" if paced else "– | – |")
        )


if __name__ == "__main__":
    main()
