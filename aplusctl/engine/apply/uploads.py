"""The image-upload step of apply: each local file the lock lacks goes up once per marketplace.

An uploadDestinationId is the only handle Amazon gives back for an image, and it cannot be read
back from the API later, so each one is recorded in aplus.lock the moment the upload succeeds.
Several documents often share one image; the first task to need it uploads it and the others
wait for that result, so a run never uploads the same bytes twice to one marketplace.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aplusctl.content.images import LocalImage
from aplusctl.engine.client import SpApi
from aplusctl.engine.lock import Lock


class UploadError(Exception):
    """An image could not be uploaded; the message is safe to show."""


@dataclass(frozen=True)
class UploadDone:
    path: str
    marketplace_id: str
    upload_destination_id: str
    uploaded: bool  # False when the lock already held it


def read_checked(root: Path, image: LocalImage) -> bytes:
    """The file's bytes, refusing a file that changed since the content was loaded."""
    try:
        data = (root / image.path).read_bytes()
    except OSError as exc:
        raise UploadError(f"cannot read {image.path}: {exc.strerror}") from None
    if hashlib.sha256(data).hexdigest() != image.sha256:
        raise UploadError(f"{image.path} changed while apply was running; run apply again")
    md5_b64 = base64.b64encode(hashlib.md5(data).digest()).decode("ascii")
    if md5_b64 != image.md5_b64:
        raise UploadError(f"{image.path}: MD5 does not match the loaded file; run apply again")
    return data


class Uploader:
    """Shared by every document task of one apply run."""

    def __init__(
        self,
        client: SpApi,
        root: Path,
        lock: Lock,
        commit: Callable[[], Awaitable[None]],
    ) -> None:
        self._client = client
        self._root = root
        self._lock = lock
        self._commit = commit
        self._inflight: dict[tuple[str, str], asyncio.Future[str]] = {}
        self.uploaded = 0

    async def ensure(self, image: LocalImage, marketplace_id: str) -> UploadDone:
        """The uploadDestinationId for this image in this marketplace, uploading it if needed."""
        known = self._lock.upload_for(image.sha256, marketplace_id)
        if known:
            return UploadDone(image.path, marketplace_id, known, uploaded=False)
        key = (image.sha256, marketplace_id)
        pending = self._inflight.get(key)
        if pending is not None:
            dest_id = await asyncio.shield(pending)
            return UploadDone(image.path, marketplace_id, dest_id, uploaded=False)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            dest_id = await self._upload(image, marketplace_id)
        except BaseException as exc:
            self._inflight.pop(key, None)
            if not future.done():
                future.set_exception(exc if isinstance(exc, Exception) else UploadError("cancelled"))
                future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        future.set_result(dest_id)
        return UploadDone(image.path, marketplace_id, dest_id, uploaded=True)

    async def _upload(self, image: LocalImage, marketplace_id: str) -> str:
        data = read_checked(self._root, image)
        destination = await self._client.create_upload_destination(
            marketplace_id, image.md5_b64, image.mime
        )
        dest_id = destination.upload_destination_id
        await self._client.upload(destination, data, image.mime, Path(image.path).name)
        self._lock.record_upload(image.sha256, marketplace_id, dest_id, image.path)
        self.uploaded += 1
        await self._commit()
        return dest_id
