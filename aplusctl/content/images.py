"""Local image checks: what the Uploads API and A+ would refuse, found before any upload.

Each file is checked once per run (cached by path), reading only its header: magic bytes for
the format, Pillow (lazy) for the pixel size. The hashes the upload needs (sha256 for aplus.lock,
base64 MD5 for `contentMD5`) are computed on first use, so `validate` never reads whole images.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from aplusctl.content.limits import MAX_IMAGE_BYTES


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


class LocalImage:
    """A checked image file: size from its header, hashes for the upload and aplus.lock.

    Immutable and compared by value, like a frozen dataclass. The hashes are worked out on first
    use when the image came from disk (`source`), so `validate` reads only image headers and
    `plan`/`apply` pay for hashing once, when they need it.
    """

    __slots__ = ("path", "size", "width", "height", "mime", "_sha256", "_md5_b64", "_source")
    path: str        # repo-relative, forward slashes
    size: int        # bytes
    width: int
    height: int
    mime: str

    def __init__(self, path: str, sha256: str | None = None, md5_b64: str | None = None, size: int = 0,
                 width: int = 0, height: int = 0, mime: str = "", *, source: Path | None = None) -> None:
        if (sha256 is None or md5_b64 is None) and source is None:
            raise TypeError("LocalImage needs sha256 and md5_b64, or a source file to hash")
        for name, value in (("path", path), ("size", size), ("width", width), ("height", height), ("mime", mime),
                            ("_sha256", sha256), ("_md5_b64", md5_b64), ("_source", source)):
            object.__setattr__(self, name, value)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the file: its identity in aplus.lock."""
        if self._sha256 is None:
            self._hash()
        return self._sha256  # type: ignore[return-value]

    @property
    def md5_b64(self) -> str:
        """Base64 of the raw MD5 digest, as createUploadDestination's contentMD5 wants."""
        if self._md5_b64 is None:
            self._hash()
        return self._md5_b64  # type: ignore[return-value]

    def _hash(self) -> None:
        sha, md5 = hashlib.sha256(), hashlib.md5()
        with open(self._source, "rb") as handle:  # type: ignore[arg-type]
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                sha.update(chunk)
                md5.update(chunk)
        object.__setattr__(self, "_sha256", sha.hexdigest())
        object.__setattr__(self, "_md5_b64", base64.b64encode(md5.digest()).decode("ascii"))

    def _key(self) -> tuple[str, str, str, int, int, int, str]:
        return (self.path, self.sha256, self.md5_b64, self.size, self.width, self.height, self.mime)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"LocalImage is immutable (tried to set {name})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalImage) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        path, sha256, md5_b64, size, width, height, mime = self._key()
        return (f"LocalImage(path={path!r}, sha256={sha256!r}, md5_b64={md5_b64!r}, size={size!r}, "
                f"width={width!r}, height={height!r}, mime={mime!r})")


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
    with open(real, "rb") as handle:
        mime = sniff_mime(handle.read(8))
        if mime is None:
            raise ImageProblem(f"image {rel} is not a JPEG, PNG or TIFF file")
        handle.seek(0)
        try:
            with Image.open(handle) as img:  # lazy: parses the header only
                width, height = img.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise ImageProblem(f"image {rel} cannot be read: {exc}") from None
    return LocalImage(path=rel, size=size, width=width, height=height, mime=mime, source=real)


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
