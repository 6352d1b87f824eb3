"""Pixii generations as content: the stanza's identity, its lock record, and its SP-API modules.

Everything here is pure except `read_generated_images` and `with_generated`, which read the
committed image files exactly as the loader reads hand-written ones. The planner and apply work
on the DesiredDocument `with_generated` returns, so generated modules diff, upload and publish
like hand-written ones.

Identity: a generation is keyed in aplus.lock by `stanza_hash` — the Pixii request only. The
aplusctl options (alt_text, module_type, submit) shape the document built from the images, not
the images, so changing them never costs credits.

Cropping: a generated image is never rewritten. Where its shape differs from the module's, the
module's `imageCropSpecification` selects the largest centred region of the module's aspect, so
the committed file stays byte-identical to what Pixii produced (its sha256 in aplus.lock keeps
meaning "what we paid for") and Amazon does the crop.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from PIL import Image

from aplusctl.content.expand import LOCAL_PREFIX, crop_spec
from aplusctl.content.images import ImageCache, ImageProblem, LocalImage
from aplusctl.content.limits import (
    MAX_ALT_TEXT,
    MAX_IMAGE_BYTES,
    MAX_MODULES_BY_CONTENT_TYPE,
    MODULE_BODY_KEY,
    image_led_module_for,
    min_image_size,
)
from aplusctl.errors import UserError
from aplusctl.pixii import CREDIT_COST
from aplusctl.pixii.jobs import parse_time

if TYPE_CHECKING:  # only for types: the loader (through rules.py) imports this module
    from aplusctl.content.loader import DesiredDocument
    from aplusctl.engine.lock import Lock

GENERATED_DIR: Final = "assets/generated"
BASIC: Final = "A+ Basic"
ASSETS_ONLY_TYPES: Final = ("A+ Premium", "A+ Premium Mobile")
TYPE_SLUGS: Final[dict[str, str]] = {
    "A+ Basic": "a-plus-basic",
    "A+ Premium": "a-plus-premium",
    "A+ Premium Mobile": "a-plus-premium-mobile",
}
# The fields sent to Pixii, in its own names; only these identify a generation.
PIXII_REQUEST_KEYS: Final = ("asin", "country_code", "types", "main_image_url",
                             "other_image_urls", "user_prompt")
RETENTION: Final = timedelta(days=7)   # Pixii keeps results (and signed URLs) this long

Status = Literal["submitting", "submitted", "completed", "failed", "expired"]

# Standard modules that hold exactly one leading image, and where that image sits in the body.
# Other types need several images or none, so one generated image cannot fill them.
_SINGLE_IMAGE: Final[dict[str, tuple[tuple[str | int, ...], dict[str, Any]]]] = {
    "STANDARD_HEADER_IMAGE_TEXT": (("block", "image"), {}),
    "STANDARD_IMAGE_TEXT_OVERLAY": (("block", "image"), {"overlayColorType": "DARK"}),
    "STANDARD_SINGLE_SIDE_IMAGE": (("block", "image"), {"imagePositionType": "LEFT"}),
    "STANDARD_SINGLE_IMAGE_HIGHLIGHTS": (("image",), {}),
    "STANDARD_SINGLE_IMAGE_SPECS_DETAIL": (("image",), {}),
    "STANDARD_COMPANY_LOGO": (("companyLogo",), {}),
    "STANDARD_MULTIPLE_IMAGE_TEXT": (("blocks", 0, "block", "image"), {}),
}
SINGLE_IMAGE_MODULE_TYPES: Final = tuple(_SINGLE_IMAGE)


# --- the stanza ------------------------------------------------------------------------------


def _as_mapping(stanza: Any) -> Mapping[str, Any]:
    if hasattr(stanza, "model_dump"):
        return stanza.model_dump(mode="json", exclude_none=True)
    if isinstance(stanza, Mapping):
        return stanza
    raise TypeError(f"a generate stanza must be a mapping, got {type(stanza).__name__}")


def pixii_request(stanza: Any) -> dict[str, Any]:
    """The body of POST /v1/api/a_plus: the stanza's Pixii fields as written, nothing else."""
    data = _as_mapping(stanza)
    return {k: data[k] for k in PIXII_REQUEST_KEYS if data.get(k) is not None}


def stanza_hash(stanza: Any) -> str:
    """aplus.lock's key of a generation: sha256 of the canonical Pixii request.

    `types` is a set to Pixii, so it is sorted; `other_image_urls` keeps its order (the images
    are listed in order of importance).
    """
    request = pixii_request(stanza)
    request["types"] = sorted(request.get("types") or [])
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def stanza_types(stanza: Any) -> tuple[str, ...]:
    return tuple(_as_mapping(stanza).get("types") or ())


def generation_cost(stanza: Any) -> int:
    """Credits one generation of this stanza costs (20 Basic, 20 Premium, 30 Premium Mobile)."""
    return sum(CREDIT_COST[t] for t in stanza_types(stanza))


def describe_types(types: tuple[str, ...] | list[str]) -> str:
    return ", ".join(types)


# --- paths -----------------------------------------------------------------------------------


def slug(text: str) -> str:
    """lowercase a-z0-9 and dashes: a path segment that is the same on every filesystem."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out or "document"


def type_slug(variant: str) -> str:
    return TYPE_SLUGS.get(variant) or slug(variant)


def document_dir(name: str, doc_path: str, stanza_hash_: str, lock: Lock) -> str:
    """Where a document's generations live; a hash suffix when another content file's
    generation has the folder (same slug, or one name in two files for two marketplaces)."""
    base = f"{GENERATED_DIR}/{slug(name)}"
    for key, record in lock.generations.items():
        if key != stanza_hash_ and record.get("dir") == base and record.get("path") != doc_path:
            return f"{base}-{stanza_hash_.split(':')[-1][:8]}"
    return base


def module_path(directory: str, variant: str, index: int, ext: str = "png") -> str:
    return f"{directory}/{type_slug(variant)}/module-{index:02d}.{ext}"


def preview_path(directory: str, variant: str, ext: str = "png") -> str:
    return f"{directory}/{type_slug(variant)}/preview.{ext}"


# --- the lock record -------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_record(doc_name: str, doc_path: str, directory: str, stanza: Any,
               started: datetime) -> dict[str, Any]:
    """The intent written before a submission, so a crash mid-submit can find the job again."""
    return {
        "document": doc_name,
        "path": doc_path,
        "dir": directory,
        "asin": _as_mapping(stanza).get("asin"),
        "status": "submitting",
        "submit_started_at": iso(started),
        "types": list(stanza_types(stanza)),
        "credit_cost": generation_cost(stanza),
        "credits_refunded": 0,
        "job_id": None,
        "submitted_at": None,
        "completed_at": None,
        "variants": {},
    }


def fit_upload_limit(data: bytes) -> bytes:
    """A module image A+ can take: as downloaded when within the 3 MiB upload limit, else
    re-encoded as JPEG at the highest quality that fits (the only case a file is rewritten)."""
    if len(data) <= MAX_IMAGE_BYTES:
        return data
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    for quality in (92, 85, 75, 60, 45):
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_IMAGE_BYTES:
            return out.getvalue()
    raise UserError(f"a generated image ({rgb.width}x{rgb.height}) stays over the 3 MiB A+ "
                    "upload limit even as a JPEG")


def file_entry(path: str, data: bytes) -> dict[str, str]:
    return {"path": path, "sha256": hashlib.sha256(data).hexdigest()}


def record_files(record: Mapping[str, Any]) -> list[str]:
    """Every repo-relative file a record holds (modules and previews of every variant)."""
    paths: list[str] = []
    for variant in (record.get("variants") or {}).values():
        paths += [f["path"] for f in variant.get("files") or [] if isinstance(f, Mapping)]
        preview = variant.get("preview")
        if isinstance(preview, Mapping) and preview.get("path"):
            paths.append(preview["path"])
    return paths


def record_status(record: Mapping[str, Any] | None) -> str | None:
    """The record's status; a job id without one (hand-written, older lock) is a paid job."""
    if not record:
        return None
    status = record.get("status")
    if isinstance(status, str) and status:
        return status
    return "submitted" if record.get("job_id") else None


def is_expired(record: Mapping[str, Any], now: datetime) -> bool:
    """A job submitted over 7 days ago and never downloaded: Pixii no longer has its images."""
    if record_status(record) == "expired":
        return True
    if record_status(record) != "submitted":
        return False
    since = parse_time(record.get("submitted_at"))
    return since is not None and now - since >= RETENTION


def completed_record(stanza: Any, lock: Lock) -> dict[str, Any] | None:
    record = lock.generations.get(stanza_hash(stanza))
    return record if record_status(record) == "completed" else None


# --- what plan shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingGeneration:
    """A generation plan must show: what it is, what it costs, and why it is needed."""

    document: str
    stanza_hash: str
    types: tuple[str, ...]
    credits: int        # to be spent now: 0 when resuming a job already paid for
    reason: Literal["new", "changed", "resume", "retry", "expired", "forced"]

    @property
    def summary(self) -> str:
        """`+ generate A+ Basic, A+ Premium via Pixii (40 credits)` and its variants."""
        what = f"generate {describe_types(self.types)} via Pixii"
        if self.reason == "resume":
            return f"~ resume {what} (already paid: 0 credits)"
        if self.reason == "expired":
            return (f"! {what}: the last job expired before download; "
                    f"`aplusctl generate --force` regenerates ({self.credits} credits)")
        note = {"changed": ", the generate: stanza changed", "retry": ", the last job failed",
                "forced": ", forced"}.get(self.reason, "")
        return f"+ {what} ({self.credits} credits{note})"

    @property
    def blocked(self) -> bool:
        """Expired generations wait for --force: plan shows them, apply does not pay for them."""
        return self.reason == "expired"


def pending_generation(doc: DesiredDocument, lock: Lock, *, force: bool = False
                       ) -> PendingGeneration | None:
    """The generation this document still needs, or None when aplus.lock records it done."""
    stanza = doc.generate
    if stanza is None:
        return None
    key = stanza_hash(stanza)
    types = stanza_types(stanza)
    cost = generation_cost(stanza)
    record = lock.generations.get(key)
    status = record_status(record)
    if force:
        return PendingGeneration(doc.name, key, types, cost, "forced")
    if status == "completed":
        return None
    if status == "submitted" and record and record.get("job_id"):
        return PendingGeneration(doc.name, key, types, 0, "resume")
    if status == "expired":
        return PendingGeneration(doc.name, key, types, cost, "expired")
    if status == "failed":
        return PendingGeneration(doc.name, key, types, cost, "retry")
    changed = any(r.get("path") == doc.path for k, r in lock.generations.items() if k != key)
    return PendingGeneration(doc.name, key, types, cost, "changed" if changed else "new")


def assets_only_notice(record: Mapping[str, Any]) -> str | None:
    """Why some generated variants are files only, or None when every variant is publishable."""
    variants = record.get("variants") or {}
    kept = [t for t in ASSETS_ONLY_TYPES if t in (record.get("types") or [])
            and not (variants.get(t) or {}).get("error")]
    if not kept:
        return None
    where = ", ".join(f"{record.get('dir', GENERATED_DIR)}/{type_slug(t)}/" for t in kept)
    return (f"{' and '.join(kept)} cannot be published through the SP-API (A+ Content API "
            f"2020-11-01 has only STANDARD_* modules): the images are in {where}; upload them in "
            "Seller Central (A+ Content Manager) by hand.")


def nothing_to_publish(doc: DesiredDocument, lock: Lock) -> str | None:
    """Why a document (as `with_generated` returns it) has no module for the SP-API, or None.

    Plan shows the reason instead of a create; apply skips the document.
    """
    if doc.generate is None or doc.modules:
        return None
    types = stanza_types(doc.generate)
    if BASIC not in types:
        return (f"{describe_types(types)} only: nothing to publish through the SP-API (it has "
                "only STANDARD_* modules); upload the generated images in Seller Central")
    record = completed_record(doc.generate, lock)
    error = ((record or {}).get("variants") or {}).get(BASIC, {}).get("error")
    if isinstance(error, Mapping):
        return (f"Pixii could not generate A+ Basic ({error.get('code')}); its credits were "
                f"refunded. Run `aplusctl generate --force '{doc.name}'` to try again")
    return None


def failed_variants(record: Mapping[str, Any]) -> list[tuple[str, str, str, int]]:
    """(type, code, message, credits refunded) of each variant Pixii could not generate."""
    out = []
    for variant, entry in (record.get("variants") or {}).items():
        error = entry.get("error")
        if isinstance(error, Mapping):
            out.append((variant, str(error.get("code") or "UNKNOWN"), str(error.get("message") or ""),
                        CREDIT_COST.get(variant, 0)))
    return out


# --- A+ Basic → SP-API modules ---------------------------------------------------------------


def crop_to(width: int, height: int, target: tuple[int, int]) -> tuple[int, int, int, int]:
    """(w, h, x, y): the largest centred region of `target`'s aspect inside a width×height image."""
    tw, th = target
    if width * th > height * tw:          # wider than the module: trim the sides
        w, h = max(1, round(height * tw / th)), height
    else:                                 # taller (or equal): trim top and bottom
        w, h = width, max(1, round(width * th / tw))
    if abs(w - width) <= 1 and abs(h - height) <= 1:
        return width, height, 0, 0
    return w, h, (width - w) // 2, (height - h) // 2


def _place(path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    inner = _place(rest, value)
    return [inner] if isinstance(head, int) else {head: inner}


def module_type_problem(module_type: str | None) -> str | None:
    """Why generated images cannot go into `module_type` (None when they can, or it is unset)."""
    if module_type is not None and module_type not in _SINGLE_IMAGE:
        return (f"{module_type} cannot hold one generated image; use one of "
                + ", ".join(SINGLE_IMAGE_MODULE_TYPES))
    return None


def stanza_problem(stanza: Any) -> str | None:
    """What makes a stanza's result unusable, found before paying for it (validate reports it too)."""
    problem = module_type_problem(_as_mapping(stanza).get("module_type"))
    return f"generate: module_type {problem}" if problem else None


def image_module(module_type: str, image: LocalImage, alt: str) -> dict[str, Any]:
    """One ContentModule of `module_type` showing `image` (cropped to the module's shape)."""
    problem = stanza_problem({"module_type": module_type})
    if problem:
        raise UserError(problem)
    where, extra = _SINGLE_IMAGE[module_type]
    target = min_image_size(module_type, where) or (image.width, image.height)
    component = {
        "uploadDestinationId": LOCAL_PREFIX + image.path,
        "imageCropSpecification": crop_spec(*crop_to(image.width, image.height, target)),
        "altText": alt[:MAX_ALT_TEXT],
    }
    body = {**extra, **_place(where, component)}
    return {"contentModuleType": module_type, MODULE_BODY_KEY[module_type]: body}


def module_cap(doc: DesiredDocument) -> int:
    """Generated modules a document can take: 7 seller / 5 vendor, less its hand-written ones."""
    return max(0, MAX_MODULES_BY_CONTENT_TYPE.get(doc.content_type, 7) - len(doc.modules))


def basic_files(record: Mapping[str, Any]) -> list[str]:
    variant = (record.get("variants") or {}).get(BASIC) or {}
    if variant.get("error"):
        return []
    return [f["path"] for f in variant.get("files") or [] if isinstance(f, Mapping)]


def generated_modules(doc: DesiredDocument, record: Mapping[str, Any],
                      images: Mapping[str, LocalImage]) -> list[dict[str, Any]]:
    """The A+ Basic module images as SP-API modules, in Pixii's order, within the module cap.

    The type is the stanza's `module_type`, else the image-led standard type that fits each
    image's size; alt text is the stanza's `alt_text`, else "<document> – image i of n".
    """
    stanza = _as_mapping(doc.generate or {})
    paths = basic_files(record)[: module_cap(doc)]
    chosen = stanza.get("module_type")
    alt = stanza.get("alt_text")
    modules = []
    for index, path in enumerate(paths, start=1):
        image = images.get(path)
        if image is None:
            raise UserError(f"{doc.path}: generated image {path} is missing; run "
                            "`aplusctl generate` to download it again")
        module_type = chosen or image_led_module_for(image.width, image.height)
        text = alt or f"{doc.name} - image {index} of {len(paths)}"
        modules.append(image_module(module_type, image, text))
    return modules


def read_generated_images(record: Mapping[str, Any], root: Path,
                          cache: ImageCache | None = None) -> dict[str, LocalImage]:
    """The committed A+ Basic files, read like hand-written images (sha256, md5, size, mime)."""
    cache = cache or ImageCache(root.resolve())
    images: dict[str, LocalImage] = {}
    for path in basic_files(record):
        try:
            images[path] = cache.get(path)
        except ImageProblem as exc:
            again = ("; run `aplusctl generate` to download it again (or restore it from git)"
                     if not (root / path).exists() else "")
            raise UserError(f"{exc} (generated by Pixii job {record.get('job_id')}){again}") from None
    return images


def with_generated(doc: DesiredDocument, lock: Lock, root: Path) -> DesiredDocument:
    """The document as apply publishes it: hand-written modules, then the generated ones.

    Unchanged when there is no stanza or its generation is not complete (plan then shows the
    modules as known after generation), and when `doc` is already expanded (idempotent). The
    stanza's `submit`, when set, overrides the file's.
    """
    if doc.generate is None:
        return doc
    record = completed_record(doc.generate, lock)
    if record is None:
        return doc
    images = read_generated_images(record, root)
    if _already_expanded(doc, record, images):
        return doc
    modules = generated_modules(doc, record, images)
    used = basic_files(record)[: module_cap(doc)]
    submit = _as_mapping(doc.generate).get("submit")
    return replace(
        doc,
        modules=[*doc.modules, *modules],
        images={**doc.images, **{path: images[path] for path in used}},
        submit=doc.submit if submit is None else bool(submit),
    )


def _already_expanded(doc: DesiredDocument, record: Mapping[str, Any],
                      images: Mapping[str, LocalImage]) -> bool:
    """True when `doc.modules` already ends with this record's generated modules."""
    for count in range(len(doc.modules), 0, -1):
        head = replace(doc, modules=doc.modules[:-count])
        try:
            tail = generated_modules(head, record, images)
        except UserError:
            return False
        if tail and doc.modules[-count:] == tail:
            return True
    return False
