"""Writing generation outputs into media storage without ever leaving half a file behind.

On a filesystem store (a local MEDIA_ROOT or a shared volume mounted by every worker) each file
is written to a temporary name in its final folder, flushed, then renamed into place: a reader
sees the whole file or nothing, and a failure (disk full) removes the temporary file. Other
storages (object stores) are atomic per object and get a plain ``save``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages

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
