"""Sugar expansion: a module as written in a content file → the exact SP-API ContentModule.

Sugars (DESIGN.md "Content files"):
- a plain string wherever a TextComponent or ParagraphComponent is expected;
- `{src: assets/x.png, alt: ...}` → ImageComponent with `uploadDestinationId: local:assets/x.png`
  and a crop covering the whole image (size read from the file), or `crop: {width, height, x, y}`;
- `{upload_destination_id: sc/..., alt, size|crop}` for an image already in the media library;
- `contentModuleType` inferred when the module has exactly one body key.
The full API shape passes through unchanged.

The walk is driven by `SHAPES`, a table of every block in the 2020-11-01 model (kept equal to the
official model by tests/test_expand.py). Every synthesized API node is recorded in `origin`
(API path → the file's own path), so a problem found later in API terms — by the pydantic models
or a lint rule — can be reported at the YAML node the user wrote.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Union

from aplusctl.content.limits import BODY_KEY_MODULE, MODULE_BODY_KEY
from aplusctl.content.images import ImageCache, ImageProblem, LocalImage, normalise_src
from aplusctl.content.yamlpos import FieldPath

LOCAL_PREFIX = "local:"
UNITS = "pixels"

# Field kinds: "text" TextComponent, "para" ParagraphComponent, "image" ImageComponent,
# "scalar" anything the models check, a block name, or ("list", kind).
Kind = Union[str, tuple[str, Any]]

SHAPES: dict[str, dict[str, Kind]] = {
    "StandardCompanyLogoModule": {"companyLogo": "image"},
    "StandardComparisonTableModule": {
        "productColumns": ("list", "StandardComparisonProductBlock"),
        "metricRowLabels": ("list", "PlainTextItem"),
    },
    "StandardComparisonProductBlock": {
        "position": "scalar", "image": "image", "title": "scalar", "asin": "scalar",
        "highlight": "scalar", "metrics": ("list", "PlainTextItem"),
    },
    "StandardFourImageTextModule": {
        "headline": "text", "block1": "StandardImageTextBlock", "block2": "StandardImageTextBlock",
        "block3": "StandardImageTextBlock", "block4": "StandardImageTextBlock",
    },
    "StandardFourImageTextQuadrantModule": {
        "block1": "StandardImageTextBlock", "block2": "StandardImageTextBlock",
        "block3": "StandardImageTextBlock", "block4": "StandardImageTextBlock",
    },
    "StandardHeaderImageTextModule": {"headline": "text", "block": "StandardImageTextBlock"},
    "StandardImageSidebarModule": {
        "headline": "text", "imageCaptionBlock": "StandardImageCaptionBlock",
        "descriptionTextBlock": "StandardTextBlock", "descriptionListBlock": "StandardTextListBlock",
        "sidebarImageTextBlock": "StandardImageTextBlock", "sidebarListBlock": "StandardTextListBlock",
    },
    "StandardImageTextOverlayModule": {"overlayColorType": "scalar", "block": "StandardImageTextBlock"},
    "StandardMultipleImageTextModule": {"blocks": ("list", "StandardImageTextCaptionBlock")},
    "StandardProductDescriptionModule": {"body": "para"},
    "StandardSingleImageHighlightsModule": {
        "image": "image", "headline": "text", "textBlock1": "StandardTextBlock",
        "textBlock2": "StandardTextBlock", "textBlock3": "StandardTextBlock",
        "bulletedListBlock": "StandardHeaderTextListBlock",
    },
    "StandardSingleImageSpecsDetailModule": {
        "headline": "text", "image": "image", "descriptionHeadline": "text",
        "descriptionBlock1": "StandardTextBlock", "descriptionBlock2": "StandardTextBlock",
        "specificationHeadline": "text", "specificationListBlock": "StandardHeaderTextListBlock",
        "specificationTextBlock": "StandardTextBlock",
    },
    "StandardSingleSideImageModule": {"imagePositionType": "scalar", "block": "StandardImageTextBlock"},
    "StandardTechSpecsModule": {
        "headline": "text", "specificationList": ("list", "StandardTextPairBlock"), "tableCount": "scalar",
    },
    "StandardTextModule": {"headline": "text", "body": "para"},
    "StandardThreeImageTextModule": {
        "headline": "text", "block1": "StandardImageTextBlock", "block2": "StandardImageTextBlock",
        "block3": "StandardImageTextBlock",
    },
    "StandardHeaderTextListBlock": {"headline": "text", "block": "StandardTextListBlock"},
    "StandardTextListBlock": {"textList": ("list", "TextItem")},
    "StandardImageTextCaptionBlock": {"block": "StandardImageTextBlock", "caption": "text"},
    "StandardImageCaptionBlock": {"image": "image", "caption": "text"},
    "StandardImageTextBlock": {"image": "image", "headline": "text", "body": "para"},
    "StandardTextBlock": {"headline": "text", "body": "para"},
    "StandardTextPairBlock": {"label": "text", "description": "text"},
    "TextItem": {"position": "scalar", "text": "text"},
    "PlainTextItem": {"position": "scalar", "value": "scalar"},
    "TextComponent": {"value": "scalar", "decoratorSet": ("list", "Decorator")},
    "ParagraphComponent": {"textList": ("list", "text")},
    "Decorator": {"type": "scalar", "offset": "scalar", "length": "scalar", "depth": "scalar"},
    "ImageComponent": {
        "uploadDestinationId": "scalar", "imageCropSpecification": "ImageCropSpecification", "altText": "scalar",
    },
    "ImageCropSpecification": {"size": "ImageDimensions", "offset": "ImageOffsets"},
    "ImageDimensions": {"width": "IntegerWithUnits", "height": "IntegerWithUnits"},
    "ImageOffsets": {"x": "IntegerWithUnits", "y": "IntegerWithUnits"},
    "IntegerWithUnits": {"value": "scalar", "units": "scalar"},
}

BODY_SHAPE: dict[str, str] = {body: body[0].upper() + body[1:] + "Module" for body in BODY_KEY_MODULE}

_IMAGE_LOCAL_KEYS = ("src", "alt", "crop")
_IMAGE_UPLOADED_KEYS = ("upload_destination_id", "alt", "size", "crop")
_CROP_KEYS = ("width", "height", "x", "y")
_SIZE_KEYS = ("width", "height")


# Names people reach for that difflib would not match.
_ALIASES = {"alt_text": "alt", "altText": "alt", "path": "src", "file": "src", "url": "src",
            "uploadDestinationId": "upload_destination_id", "type": "contentModuleType"}


def did_you_mean(key: str, candidates: Any) -> str:
    """` (did you mean 'headline'?)` or nothing; also catches snake_case for camelCase."""
    options = list(candidates)
    if _ALIASES.get(key) in options:
        return f" (did you mean {_ALIASES[key]!r}?)"
    camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)
    if camel != key and camel in options:
        return f" (did you mean {camel!r}?)"
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        if key.lower() in lowered:
            close = [lowered[key.lower()]]
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key_message(key: str, candidates: Any) -> str:
    return f"unknown key {key!r}{did_you_mean(key, candidates)}"


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a mapping",
    }.get(type(value), type(value).__name__)


@dataclass
class Expansion:
    """One module in API shape, plus what the loader needs to report against the file."""

    module: Any
    module_type: str | None
    origin: dict[FieldPath, FieldPath] = field(default_factory=dict)
    images: dict[str, LocalImage] = field(default_factory=dict)
    problems: list[tuple[FieldPath, str]] = field(default_factory=list)


def crop_spec(width: int, height: int, x: int | None = None, y: int | None = None) -> dict[str, Any]:
    """ImageCropSpecification in pixels; the offset is left out when it is the origin."""
    spec: dict[str, Any] = {
        "size": {"width": {"value": width, "units": UNITS}, "height": {"value": height, "units": UNITS}}
    }
    if x or y:
        spec["offset"] = {"x": {"value": x or 0, "units": UNITS}, "y": {"value": y or 0, "units": UNITS}}
    return spec


class _Walker:
    def __init__(self, images: ImageCache, out: Expansion) -> None:
        self.cache = images
        self.out = out

    def problem(self, src: FieldPath, message: str) -> None:
        self.out.problems.append((src, message))

    def synthesized(self, api: FieldPath, src: FieldPath) -> None:
        """Record that the node at `api` came from `src`; `to_source` maps everything under it too."""
        self.out.origin[api] = src

    def check_keys(self, value: dict[str, Any], allowed: Any, src: FieldPath) -> None:
        for key in value:
            if key not in allowed:
                self.problem(src + (key,), unknown_key_message(str(key), allowed))

    def walk(self, value: Any, kind: Kind, api: FieldPath, src: FieldPath) -> Any:
        if isinstance(kind, tuple):
            _, item_kind = kind
            if not isinstance(value, list):
                self.problem(src, f"expected a list, got {type_name(value)}")
                return value
            return [self.walk(v, item_kind, api + (i,), src + (i,)) for i, v in enumerate(value)]
        if kind == "scalar":
            return value
        if kind == "text":
            return self.text(value, api, src)
        if kind == "para":
            return self.paragraph(value, api, src)
        if kind == "image":
            return self.image(value, api, src)
        return self.block(value, kind, api, src)

    def block(self, value: Any, shape_name: str, api: FieldPath, src: FieldPath) -> Any:
        if not isinstance(value, dict):
            self.problem(src, f"expected a mapping, got {type_name(value)}")
            return value
        shape = SHAPES[shape_name]
        self.check_keys(value, shape, src)
        return {
            k: self.walk(v, shape[k], api + (k,), src + (k,)) for k, v in value.items() if k in shape
        }

    def text(self, value: Any, api: FieldPath, src: FieldPath) -> Any:
        return self.string_sugar(value, "TextComponent", "value", {"value": value}, api, src)

    def paragraph(self, value: Any, api: FieldPath, src: FieldPath) -> Any:
        return self.string_sugar(value, "ParagraphComponent", "textList", {"textList": [{"value": value}]}, api, src)

    def string_sugar(self, value: Any, shape_name: str, key: str, expanded: dict[str, Any],
                     api: FieldPath, src: FieldPath) -> Any:
        """A plain string stands for the component `expanded` shows; a mapping is the component."""
        if isinstance(value, str):
            self.synthesized(api, src)
            return expanded
        if isinstance(value, dict):
            return self.block(value, shape_name, api, src)
        self.problem(src, f"expected text (a string, or a mapping with {key}), got {type_name(value)}")
        return value

    def image(self, value: Any, api: FieldPath, src: FieldPath) -> Any:
        if not isinstance(value, dict):
            self.problem(src, f"expected an image mapping such as {{src: assets/x.png, alt: ...}}, got {type_name(value)}")
            return value
        if "src" in value:
            return self.local_image(value, api, src)
        if "upload_destination_id" in value:
            return self.uploaded_image(value, api, src)
        if "uploadDestinationId" in value:
            out = self.block(value, "ImageComponent", api, src)
            ref = value.get("uploadDestinationId")
            if isinstance(ref, str) and ref.startswith(LOCAL_PREFIX):
                rel = self.load(ref[len(LOCAL_PREFIX):], src + ("uploadDestinationId",))
                if rel is not None and isinstance(out, dict):
                    out["uploadDestinationId"] = LOCAL_PREFIX + rel
            return out
        self.problem(src, "an image needs src (a file in the repo) or upload_destination_id (already uploaded)")
        return value

    def load(self, raw: Any, src: FieldPath) -> str | None:
        """Check and register a local image; its repo-relative path, or None when unusable."""
        if not isinstance(raw, str):
            self.problem(src, f"expected an image path, got {type_name(raw)}")
            return None
        try:
            image = self.cache.get(raw)
        except ImageProblem as exc:
            self.problem(src, str(exc))
            return None
        self.out.images[image.path] = image
        return image.path

    def alt(self, value: dict[str, Any], out: dict[str, Any], api: FieldPath, src: FieldPath) -> None:
        if "alt" not in value:
            misnamed = [k for k in value if _ALIASES.get(k) == "alt"]
            if not misnamed:
                self.problem(src, "alt is required: describe the image in at most 100 characters")
                return
            value = {**value, "alt": value[misnamed[0]]}  # its unknown-key error says the rest
        out["altText"] = value["alt"]
        self.out.origin[api + ("altText",)] = src + ("alt",)

    def crop(self, raw: Any, keys: tuple[str, ...], src: FieldPath) -> tuple[int, int, int, int] | None:
        if not isinstance(raw, dict):
            self.problem(src, f"expected a mapping with {', '.join(keys)}, got {type_name(raw)}")
            return None
        self.check_keys(raw, keys, src)
        numbers: dict[str, int] = {}
        for key in keys:
            if key not in raw:
                if key in ("width", "height"):
                    self.problem(src, f"{key} is required")
                    return None
                continue
            number = raw[key]
            least = 1 if key in ("width", "height") else 0
            if not isinstance(number, int) or isinstance(number, bool) or number < least:
                self.problem(src + (key,), f"expected a whole number of pixels >= {least}, got {number!r}")
                return None
            numbers[key] = number
        return numbers["width"], numbers["height"], numbers.get("x", 0), numbers.get("y", 0)

    def local_image(self, value: dict[str, Any], api: FieldPath, src: FieldPath) -> Any:
        self.check_keys(value, _IMAGE_LOCAL_KEYS, src)
        out: dict[str, Any] = {}
        rel = self.load(value["src"], src + ("src",))
        if rel is None:
            raw = value["src"]
            try:
                rel = normalise_src(raw) if isinstance(raw, str) else str(raw)
            except ImageProblem:
                rel = str(raw)
        out["uploadDestinationId"] = LOCAL_PREFIX + rel
        self.out.origin[api + ("uploadDestinationId",)] = src + ("src",)
        image = self.out.images.get(rel)
        rect: tuple[int, int, int, int] | None = None
        if "crop" in value:
            rect = self.crop(value["crop"], _CROP_KEYS, src + ("crop",))
            if rect is not None and image is not None:
                w, h, x, y = rect
                if x + w > image.width or y + h > image.height:
                    self.problem(
                        src + ("crop",),
                        f"crop {w}x{h} at ({x},{y}) does not fit the {image.width}x{image.height} image {rel}",
                    )
        elif image is not None:
            rect = (image.width, image.height, 0, 0)
        return self.finish_image(out, rect, value, api, src, src + ("crop",) if "crop" in value else src)

    def uploaded_image(self, value: dict[str, Any], api: FieldPath, src: FieldPath) -> Any:
        self.check_keys(value, _IMAGE_UPLOADED_KEYS, src)
        out: dict[str, Any] = {"uploadDestinationId": value["upload_destination_id"]}
        self.out.origin[api + ("uploadDestinationId",)] = src + ("upload_destination_id",)
        rect: tuple[int, int, int, int] | None = None
        where = src
        if "crop" in value:
            where = src + ("crop",)
            rect = self.crop(value["crop"], _CROP_KEYS, where)
        elif "size" in value:
            where = src + ("size",)
            rect = self.crop(value["size"], _SIZE_KEYS, where)
        else:
            self.problem(src, "an uploaded image needs its size ({width, height}) or a crop: aplusctl cannot read it")
        return self.finish_image(out, rect, value, api, src, where)

    def finish_image(self, out: dict[str, Any], rect: tuple[int, int, int, int] | None, value: dict[str, Any],
                     api: FieldPath, src: FieldPath, crop_src: FieldPath) -> dict[str, Any]:
        """Add the crop (0x0 when unknown: the problem is already reported) and the alt text."""
        out["imageCropSpecification"] = crop_spec(*rect) if rect else crop_spec(0, 0)
        self.synthesized(api + ("imageCropSpecification",), crop_src)
        self.alt(value, out, api, src)
        return out


def expand_module(raw: Any, src: FieldPath, images: ImageCache) -> Expansion:
    """Expand one module; `src` is its path in the file, e.g. ("modules", 2)."""
    out = Expansion(module=raw, module_type=None)
    walker = _Walker(images, out)
    if not isinstance(raw, dict):
        walker.problem(src, f"a module must be a mapping, got {type_name(raw)}")
        return out
    allowed = ("contentModuleType", *BODY_KEY_MODULE)
    unknown = [k for k in raw if k not in allowed]
    for key in unknown:
        walker.problem(src + (key,), unknown_key_message(str(key), allowed))
    bodies = [k for k in raw if k in BODY_KEY_MODULE]
    module: dict[str, Any] = {}
    declared = raw.get("contentModuleType")
    if "contentModuleType" in raw:
        if declared not in MODULE_BODY_KEY:
            hint = did_you_mean(str(declared), MODULE_BODY_KEY) if isinstance(declared, str) else ""
            walker.problem(src + ("contentModuleType",), f"unknown module type {declared!r}{hint}")
            declared = None
        else:
            module["contentModuleType"] = declared
            want = MODULE_BODY_KEY[declared]
            if want not in raw:
                walker.problem(src, f"a {declared} module needs a {want} body")
            for other in bodies:
                if other != want:
                    walker.problem(src + (other,), f"{other} does not belong in a {declared} module (expected {want})")
            bodies = [b for b in bodies if b == want]
    elif len(bodies) == 1:
        declared = BODY_KEY_MODULE[bodies[0]]
        module["contentModuleType"] = declared
        out.origin[src + ("contentModuleType",)] = src
    elif len(bodies) > 1:
        walker.problem(src, f"several module bodies ({', '.join(bodies)}): set contentModuleType and keep one")
    elif not unknown:
        walker.problem(src, "a module needs one body, e.g. standardText, or contentModuleType")
    out.module_type = declared if isinstance(declared, str) and declared in MODULE_BODY_KEY else None
    for body in bodies:
        module[body] = walker.walk(raw[body], BODY_SHAPE[body], src + (body,), src + (body,))
    out.module = module
    return out


def to_source(api: FieldPath, origin: dict[FieldPath, FieldPath]) -> FieldPath:
    """The file path a (possibly synthesized) API path came from."""
    for end in range(len(api), 0, -1):
        found = origin.get(api[:end])
        if found is not None:
            return found
    return api
