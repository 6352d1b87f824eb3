"""Local image checks: what the Uploads API and A+ would refuse, found before any upload.

Each file is read once per run (cached by path): the bytes give both hashes the upload needs
(sha256 for aplus.lock, base64 MD5 for `contentMD5`) and Pillow reads only the header for size.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 3 * 1024 * 1024  # the presigned POST policy's content-length-range (3 MiB)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


@dataclass(frozen=True)
class LocalImage:
    path: str        # repo-relative, forward slashes
    sha256: str      # hex
    md5_b64: str     # base64 of the raw MD5 digest, as createUploadDestination's contentMD5 wants
    size: int        # bytes
    width: int
    height: int
    mime: str


class ImageProblem(Exception):
    """Why an image reference cannot be used; the message is shown as is."""


def normalise_src(src: str) -> str:
    """Repo-relative forward-slash path, refusing absolute paths and `..` outright."""
    if not src or not src.strip():
        raise ImageProblem("image path is empty")
    if "\\" in src:
        raise ImageProblem(f"use forward slashes in image paths: {src!r}")
    pure = PurePosixPath(src)
    if pure.is_absolute() or (len(src) > 1 and src[1] == ":"):
        raise ImageProblem(f"image path must be relative to the repo root, not absolute: {src!r}")
    if ".." in pure.parts:
        raise ImageProblem(f"image path must stay inside the repo (no '..'): {src!r}")
    parts = [p for p in pure.parts if p != "."]
    if not parts:
        raise ImageProblem(f"not an image file: {src!r}")
    return "/".join(parts)


def sniff_mime(head: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return None


def _read(root: Path, rel: str) -> LocalImage:
    real = Path(os.path.realpath(root / rel))
    if not real.exists():
        raise ImageProblem(f"image file not found: {rel}")
    if not real.is_relative_to(root):
        raise ImageProblem(f"image {rel} is a symlink that leads outside the repo")
    if not real.is_file():
        raise ImageProblem(f"image path is not a file: {rel}")
    size = real.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ImageProblem(f"image {rel} is {size:,} bytes; the upload limit is {MAX_IMAGE_BYTES:,} bytes (3 MiB)")
    if size == 0:
        raise ImageProblem(f"image {rel} is empty")
    data = real.read_bytes()
    mime = sniff_mime(data[:8])
    if mime is None:
        raise ImageProblem(f"image {rel} is not a JPEG, PNG or TIFF file")
    try:
        with Image.open(io.BytesIO(data)) as img:  # lazy: parses the header only
            width, height = img.size
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageProblem(f"image {rel} cannot be read: {exc}") from None
    return LocalImage(
        path=rel,
        sha256=hashlib.sha256(data).hexdigest(),
        md5_b64=base64.b64encode(hashlib.md5(data).digest()).decode("ascii"),
        size=size,
        width=width,
        height=height,
        mime=mime,
    )


class ImageCache:
    """Reads each image once per run, remembering failures as well as successes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))
        self._seen: dict[str, LocalImage | ImageProblem] = {}
        self._rel: dict[str, str] = {}

    def get(self, src: str) -> LocalImage:
        rel = self._rel.get(src)
        if rel is None:
            rel = self._rel[src] = normalise_src(src)
        hit = self._seen.get(rel)
        if hit is None:
            try:
                hit = _read(self.root, rel)
            except ImageProblem as exc:
                hit = exc
            self._seen[rel] = hit
        if isinstance(hit, ImageProblem):
            raise hit
        return hit
