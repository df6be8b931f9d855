"""Writing generation outputs into media storage without ever leaving half a file behind.

On a filesystem store (a local MEDIA_ROOT or a shared volume mounted by every worker) each file
is written to a temporary name in its final folder, flushed, then renamed into place: a reader
sees the whole file or nothing, and a failure (disk full) removes the temporary file. Other
storages (object stores) are atomic per object and get a plain ``save``.
"""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)

from exercises.runners.base import DiskFullError


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_outputs(prefix: str, files: list[tuple[str, bytes]]) -> list[str]:
    """Store ``files`` under ``prefix`` and return their storage names (all or none).

    Raises ``DiskFullError`` when the store is full; anything written so far is removed.
    """
    written: list[str] = []
    try:
        for name, data in files:
            written.append(_write_one(f"{prefix}/{name}", data))
    except OSError as exc:
        delete_outputs(written)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                "The server ran out of space to store your outputs. "
                "The staff have been told; try again later.",
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc
        raise
    return written


def _write_one(name: str, data: bytes) -> str:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return storage.save(name, ContentFile(data))
    final = Path(storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    try:
        _write_file(temporary, data)
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return name


def delete_outputs(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            storages["default"].delete(name)


# --- Serving (after the view has checked who asks) --------------------------------------------


def serve_output(name: str, *, download_name: str) -> HttpResponseBase:
    """The response that sends stored file ``name``, as ``settings.MEDIA_SERVE`` says.

    "django" streams it from the storage (the embedded default); "nginx" and "apache" hand the
    sending to the web server (``X-Accel-Redirect`` to an ``internal`` location, or
    ``X-Sendfile``), so a large image does not hold a Python worker. A storage that is not a
    filesystem (an object store) answers with a redirect to its own, signed, URL.
    """
    storage = storages["default"]
    content_type = mimetypes.guess_type(download_name)[0] or "application/octet-stream"
    if not isinstance(storage, FileSystemStorage):
        return HttpResponseRedirect(storage.url(name))
    mode = settings.MEDIA_SERVE
    if mode == "django":
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404("The file is gone.") from None
        response: HttpResponseBase = FileResponse(handle, content_type=content_type)
    else:
        if not storage.exists(name):
            raise Http404("The file is gone.")
        response = HttpResponse(content_type=content_type)
        if mode == "nginx":
            internal = settings.MEDIA_INTERNAL_URL.rstrip("/") + "/"
            response["X-Accel-Redirect"] = internal + quote(name)
        else:
            response["X-Sendfile"] = storage.path(name)
    response["Content-Disposition"] = f'inline; filename="{download_name}"'
    # Outputs never change once stored; only the browser that was allowed to fetch keeps one.
    response["Cache-Control"] = "private, max-age=86400"
    return response
