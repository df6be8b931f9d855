"""Images a bank file carries inside it (Moodle XML ``<file encoding="base64">``).

A reader hands each question's files to :func:`embed`, which keeps the images (PNG, JPEG, GIF,
WebP, recognised by their first bytes, not by their names), names each by the SHA-256 of its
content and rewrites ``@@PLUGINFILE@@/name`` in the item's text to the URL the course serves
it from. Everything else is a warning with the question's line and name: a file that is not
an image (audio, SVG, which can carry script), one over :data:`MAX_IMAGE_BYTES`, a reference to
a file the question does not carry. :func:`store_media` writes the images in the import's
transaction; a re-import finds them by hash and writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

#: One image; a bank file is limited to 10 MB in all.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
PLUGINFILE = "@@PLUGINFILE@@/"

Media = dict[str, tuple[str, str, bytes]]  # sha256 -> (name, content type, bytes)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image format the pages show, else ``None``."""
    for signature, content_type, extension in _SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def media_url(course: str, sha256: str, extension: str) -> str:
    return f"/courses/{course}/media/{sha256}.{extension}"


def _replace_strings(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {k: _replace_strings(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_strings(v, replace) for v in value]
    return value


def _strings(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(_strings(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_strings(v) for v in value)
    return ""


def embed(
    value: Any,
    files: list[tuple[str, str]],
    *,
    course: str,
    media: Media,
    warn: Callable[[str], None],
) -> Any:
    """``value`` (an item or a text) with its ``@@PLUGINFILE@@`` images pointing at the
    course's media; ``files`` are (name, base64) pairs; kept images are added to ``media``."""
    urls: dict[str, str] = {}
    for name, encoded in files:
        try:
            data = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            warn(f"the file {name!r} is not valid base64: not kept")
            continue
        kind = sniff(data)
        if kind is None:
            warn(
                f"the file {name!r} is not kept: only images (PNG, JPEG, GIF, WebP) are stored "
                "with a bank"
            )
            continue
        if len(data) > MAX_IMAGE_BYTES:
            warn(
                f"the image {name!r} is {len(data) / 1024 / 1024:.1f} MB; images are limited to "
                f"{MAX_IMAGE_BYTES // 1024 // 1024} MB: not kept"
            )
            continue
        sha256 = hashlib.sha256(data).hexdigest()
        media.setdefault(sha256, (name, kind[0], data))
        urls[name] = media_url(course, sha256, kind[1])

    def replace(text: str) -> str:
        if PLUGINFILE not in text:
            return text
        for name, url in urls.items():
            for written in {name, quote(name), quote(name, safe="/")}:
                text = text.replace(PLUGINFILE + written, url)
        return text

    result = _replace_strings(value, replace)
    everything = _strings(result)
    for name, url in urls.items():
        if url not in everything:
            warn(
                f"the image {name!r} is not kept: it is used only where the page shows text "
                "(answer feedback, choice labels)"
            )
    if PLUGINFILE in everything:
        missing = sorted(
            {part.split('"')[0].split("'")[0] for part in everything.split(PLUGINFILE)[1:]}
        )
        warn(
            "refers to files that are not imported (not in the file, or not images), so "
            f"these links show nothing: {', '.join(missing)}"
        )
    return result


def store_media(media: Media, course: Any) -> int:
    """Write the images ``course`` does not have yet; returns how many were new."""
    from gradebook.courses.models import BankMedia

    if not media:
        return 0
    have = set(
        BankMedia.objects.filter(course=course, sha256__in=list(media)).values_list(
            "sha256", flat=True
        )
    )
    rows = [
        BankMedia(course=course, sha256=sha, name=name[:255], content_type=ctype, content=data)
        for sha, (name, ctype, data) in media.items()
        if sha not in have
    ]
    BankMedia.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
