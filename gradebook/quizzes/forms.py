"""Reading an answer out of a plain HTML form post (the no-JavaScript path)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from gradebook.courses.models import Item


def _one(item_type: str, name: str, data: QueryDict, *, multiple: bool = False) -> Any:
    if item_type == "multiple_choice" and multiple:
        return data.getlist(name)
    value = data.get(name, "")
    unit = data.get(f"{name}__unit", "").strip()
    return f"{value} {unit}".strip() if unit else value


def response_from_post(item: Item, data: QueryDict) -> Any:
    """The response the API would get for the same answers: str, list or {part: answer}."""
    spec = item.spec or {}
    if item.type == "multipart":
        return {
            str(p.get("id")): _one(
                p.get("type", ""), f"part-{p.get('id')}", data, multiple=bool(p.get("multiple"))
            )
            for p in spec.get("parts", [])
            if isinstance(p, dict)
        }
    if item.type == "exercise":
        out: dict[str, Any] = {
            "prompt": data.get("prompt", ""),
            "reflection": data.get("reflection", ""),
            "settings": {},
        }
        return out
    return _one(item.type, "response", data, multiple=bool(spec.get("multiple")))
