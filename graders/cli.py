"""``python -m graders``: check answers against an item spec from the shell, and benchmark.

    python -m graders check SPEC.json ANSWER        # the Result as JSON; exit 0 for any verdict
    python -m graders check SPEC.json --jsonl < answers.jsonl # one JSON answer per line
    python -m graders check SPEC.json ANSWER --interpret     # what the answer is read as
    python -m graders validate SPEC.json            # spec errors, exit 2 when there are any
    python -m graders bench [--quick]               # library vs naive sympy, docs/benchmarks.md

The spec file holds one item exactly as written in a bank (JSON, or YAML when PyYAML is
installed). Exit status 2 means the spec is invalid (errors on stderr, each naming its field).
For a multipart item, ANSWER is a JSON object ``{"part_id": "answer"}``. With ``--jsonl`` each
stdin line is one JSON-encoded answer (``"4 s"``, ``"a\\nb"``, ``{"per_image": "4 s"}``) and
exactly one JSON result line is printed for it, in order; a blank or unreadable line gets a
result line with ``"error"`` and ``"outcome": "invalid"``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from graders.api import grade, interpret
from graders.spec import validate_spec

EXIT_INVALID_SPEC = 2


def _load_spec(path: str) -> Any:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def _response(spec: dict[str, Any], raw: str) -> Any:
    """Multipart answers and multiple-choice lists are given as JSON; anything else is text."""
    if spec.get("type") in ("multipart", "exercise") or raw.lstrip().startswith(("[", "{")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _spec_or_exit(path: str) -> dict[str, Any]:
    try:
        spec = _load_spec(path)
    except (OSError, ValueError) as exc:
        print(f"{path}: cannot read the spec: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID_SPEC) from None
    errors = validate_spec(spec)
    if errors:
        for e in errors:
            print(f"{path}: {e}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID_SPEC)
    assert isinstance(spec, dict)
    return spec


def _check(args: argparse.Namespace) -> int:
    spec = _spec_or_exit(args.spec)
    params = json.loads(args.params) if args.params else None

    def one(raw: str) -> dict[str, Any]:
        if args.interpret:
            return interpret(spec, raw, part=args.part, params=params).to_dict()
        return grade(spec, _response(spec, raw), params=params, seed=args.seed).to_dict()

    if args.jsonl:
        _jsonl(spec, args, params)
        return 0
    if args.answer is None:
        print("give an ANSWER or --jsonl", file=sys.stderr)
        return EXIT_INVALID_SPEC
    print(json.dumps(one(args.answer), ensure_ascii=False, indent=2))
    return 0


def _decode_line(line: str) -> Any:
    """One ``--jsonl`` input line: a JSON string (the answer as typed), an object (a multipart
    answer) or a list (several choices); a bare JSON number is taken as the text typed."""
    text = line.strip()
    if not text:
        raise ValueError('the line is empty: expected a JSON string ("4 s") or object')
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not JSON ({exc.msg} at column {exc.colno}): write each answer as a JSON string, "
            f'for example "4 s", or an object for a multipart item'
        ) from None
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{text} is not an answer: expected a JSON string or object")
    if isinstance(value, int | float):
        return text
    if isinstance(value, str | dict | list):
        return value
    raise ValueError("expected a JSON string or object")  # pragma: no cover


def _jsonl(spec: dict[str, Any], args: argparse.Namespace, params: Any) -> None:
    """Exactly one output line per input line, in order, blank and bad lines included: a line
    that cannot be graded gets ``{"line": n, "error": ..., "outcome": "invalid", ...}``."""
    stdin = sys.stdin
    if hasattr(stdin, "buffer"):  # answers are UTF-8 whatever the locale says
        stdin = io.TextIOWrapper(stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    for n, line in enumerate(stdin, start=1):
        out: dict[str, Any] = {"line": n}
        try:
            answer = _decode_line(line.removesuffix("\n").removesuffix("\r"))
            out["answer"] = answer
            if args.interpret:
                if not isinstance(answer, str):
                    raise ValueError("--interpret takes a JSON string on each line")
                out.update(interpret(spec, answer, part=args.part, params=params).to_dict())
            else:
                out.update(grade(spec, answer, params=params, seed=args.seed).to_dict())
        except ValueError as exc:
            out.update(error=f"line {n}: {exc}", outcome="invalid", score=None, feedback=str(exc))
        print(json.dumps(out, ensure_ascii=False), flush=True)


def _validate(args: argparse.Namespace) -> int:
    _spec_or_exit(args.spec)
    print("valid")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="grade answers against an item spec")
    check.add_argument("spec", help="the item spec: a JSON (or YAML) file")
    check.add_argument("answer", nargs="?", help="the answer (JSON for multipart items)")
    check.add_argument(
        "--jsonl",
        action="store_true",
        help="grade stdin: one JSON-encoded answer per line, one JSON result line each",
    )
    check.add_argument("--interpret", action="store_true", help="only interpret the answer")
    check.add_argument("--part", help="with --interpret: the part id")
    check.add_argument("--params", help="params as JSON, for parameterised items")
    check.add_argument("--seed", type=int, help="variant seed, for parameterised items")
    check.set_defaults(func=_check)
    val = sub.add_parser("validate", help="check an item spec")
    val.add_argument("spec")
    val.set_defaults(func=_validate)
    bench = sub.add_parser("bench", help="library vs naive parse_expr + simplify, side by side")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    bench.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    bench.set_defaults(func=_bench)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def _bench(args: argparse.Namespace) -> int:
    from graders.bench import run

    return run(quick=args.quick, markdown=args.markdown)
