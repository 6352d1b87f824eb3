"""Limits that the validator, the Pixii generator and the sandbox share.

The official SP-API model (encoded in `models.py`) states the wire limits. The numbers here are
the stricter, per-module ones Amazon documents elsewhere (the A+ content examples page, see
../shared/reference/sp-api-aplus.md §6): minimum image sizes and per-field character counts.
They live as data so that every layer applies the same table.

Paths are tuples of keys and list indices inside a module, e.g.
``("standardImageSidebar", "sidebarImageTextBlock", "image")``; the leading body key is optional.
In the tables below ``"*"`` stands for any list index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

PathPart = str | int
Path = tuple[PathPart, ...]

MODULE_BODY_KEY: Final[dict[str, str]] = {
    "STANDARD_COMPANY_LOGO": "standardCompanyLogo",
    "STANDARD_COMPARISON_TABLE": "standardComparisonTable",
    "STANDARD_FOUR_IMAGE_TEXT": "standardFourImageText",
    "STANDARD_FOUR_IMAGE_TEXT_QUADRANT": "standardFourImageTextQuadrant",
    "STANDARD_HEADER_IMAGE_TEXT": "standardHeaderImageText",
    "STANDARD_IMAGE_SIDEBAR": "standardImageSidebar",
    "STANDARD_IMAGE_TEXT_OVERLAY": "standardImageTextOverlay",
    "STANDARD_MULTIPLE_IMAGE_TEXT": "standardMultipleImageText",
    "STANDARD_PRODUCT_DESCRIPTION": "standardProductDescription",
    "STANDARD_SINGLE_IMAGE_HIGHLIGHTS": "standardSingleImageHighlights",
    "STANDARD_SINGLE_IMAGE_SPECS_DETAIL": "standardSingleImageSpecsDetail",
    "STANDARD_SINGLE_SIDE_IMAGE": "standardSingleSideImage",
    "STANDARD_TECH_SPECS": "standardTechSpecs",
    "STANDARD_TEXT": "standardText",
    "STANDARD_THREE_IMAGE_TEXT": "standardThreeImageText",
}
"""contentModuleType → the ContentModule key that carries its body."""

BODY_KEY_MODULE: Final[dict[str, str]] = {v: k for k, v in MODULE_BODY_KEY.items()}
"""Body key → contentModuleType (used to infer an omitted contentModuleType)."""

MAX_MODULES: Final[dict[str, int]] = {"seller": 7, "vendor": 5}
"""Modules per document by account type; the model itself allows 100 (UCG22)."""

MAX_MODULES_BY_CONTENT_TYPE: Final[dict[str, int]] = {"EBC": MAX_MODULES["seller"], "EMC": MAX_MODULES["vendor"]}
"""The same limit keyed by ContentDocument.contentType (EBC seller, EMC vendor)."""

MAX_IMAGE_BYTES: Final[int] = 3 * 1024 * 1024
"""The presigned upload policy's content-length-range upper bound (3 MiB)."""

MAX_ALT_TEXT: Final[int] = 100

# --- minimum image sizes (w, h) in px, per module type and ImageComponent path -----------------

_MIN_IMAGE: Final[dict[str, tuple[tuple[Path, tuple[int, int]], ...]]] = {
    "STANDARD_HEADER_IMAGE_TEXT": ((("block", "image"), (970, 600)),),
    "STANDARD_COMPANY_LOGO": ((("companyLogo",), (600, 180)),),
    "STANDARD_IMAGE_TEXT_OVERLAY": ((("block", "image"), (970, 300)),),
    "STANDARD_FOUR_IMAGE_TEXT": tuple(((f"block{i}", "image"), (220, 200)) for i in range(1, 5)),
    "STANDARD_FOUR_IMAGE_TEXT_QUADRANT": tuple(
        ((f"block{i}", "image"), (135, 135)) for i in range(1, 5)
    ),
    "STANDARD_THREE_IMAGE_TEXT": tuple(((f"block{i}", "image"), (300, 300)) for i in range(1, 4)),
    "STANDARD_SINGLE_SIDE_IMAGE": ((("block", "image"), (300, 300)),),
    "STANDARD_MULTIPLE_IMAGE_TEXT": ((("blocks", "*", "block", "image"), (300, 300)),),
    "STANDARD_SINGLE_IMAGE_HIGHLIGHTS": ((("image",), (300, 300)),),
    "STANDARD_SINGLE_IMAGE_SPECS_DETAIL": ((("image",), (300, 300)),),
    "STANDARD_IMAGE_SIDEBAR": (
        (("imageCaptionBlock", "image"), (300, 400)),
        (("sidebarImageTextBlock", "image"), (300, 175)),
    ),
    "STANDARD_COMPARISON_TABLE": ((("productColumns", "*", "image"), (150, 300)),),
}

# --- per-field character limits stricter than the official model ------------------------------
# For a TextComponent the limit applies to `value`; for a ParagraphComponent to the sum of its
# textList values; for a plain string (asin, PlainTextItem.value) to the string itself.

_TEXT: Final[dict[str, tuple[tuple[Path, int], ...]]] = {
    "STANDARD_HEADER_IMAGE_TEXT": (
        (("headline",), 150),
        (("block", "headline"), 150),
        (("block", "body"), 6000),
    ),
    "STANDARD_IMAGE_TEXT_OVERLAY": (
        (("block", "headline"), 70),
        (("block", "body"), 300),
    ),
    "STANDARD_FOUR_IMAGE_TEXT": (
        (("headline",), 200),
        *(((f"block{i}", "headline"), 160) for i in range(1, 5)),
        *(((f"block{i}", "body"), 1000) for i in range(1, 5)),
    ),
    "STANDARD_FOUR_IMAGE_TEXT_QUADRANT": (
        *(((f"block{i}", "headline"), 160) for i in range(1, 5)),
        *(((f"block{i}", "body"), 1000) for i in range(1, 5)),
    ),
    "STANDARD_THREE_IMAGE_TEXT": (
        (("headline",), 200),
        *(((f"block{i}", "headline"), 160) for i in range(1, 4)),
        *(((f"block{i}", "body"), 1000) for i in range(1, 4)),
    ),
    "STANDARD_SINGLE_SIDE_IMAGE": (
        (("block", "headline"), 160),
        (("block", "body"), 1000),
    ),
    "STANDARD_MULTIPLE_IMAGE_TEXT": (
        (("blocks", "*", "block", "headline"), 160),
        (("blocks", "*", "block", "body"), 1000),
        (("blocks", "*", "caption"), 200),
    ),
    "STANDARD_SINGLE_IMAGE_HIGHLIGHTS": (
        (("headline",), 160),
        (("textBlock1", "headline"), 200),
        (("textBlock2", "headline"), 200),
        (("textBlock3", "headline"), 200),
        (("bulletedListBlock", "headline"), 200),
        (("textBlock1", "body"), 1000),
        (("textBlock2", "body"), 400),
        (("textBlock3", "body"), 400),
        (("bulletedListBlock", "block", "textList", "*", "text"), 100),
    ),
    "STANDARD_SINGLE_IMAGE_SPECS_DETAIL": (
        (("headline",), 200),
        (("descriptionHeadline",), 160),
        (("descriptionBlock1", "body"), 400),
        (("descriptionBlock2", "body"), 400),
        (("specificationTextBlock", "body"), 1000),
        (("specificationListBlock", "block", "textList", "*", "text"), 200),
    ),
    "STANDARD_IMAGE_SIDEBAR": (
        (("headline",), 160),
        (("descriptionTextBlock", "headline"), 200),
        (("sidebarImageTextBlock", "headline"), 200),
        (("descriptionTextBlock", "body"), 500),
        (("sidebarImageTextBlock", "body"), 500),
        (("descriptionListBlock", "textList", "*", "text"), 200),
        (("sidebarListBlock", "textList", "*", "text"), 200),
        (("imageCaptionBlock", "caption"), 200),
    ),
    "STANDARD_COMPARISON_TABLE": (
        (("productColumns", "*", "asin"), 10),
        (("metricRowLabels", "*", "value"), 100),
    ),
    "STANDARD_TECH_SPECS": (
        (("headline",), 80),
        (("specificationList", "*", "label"), 30),
        (("specificationList", "*", "description"), 500),
    ),
    "STANDARD_TEXT": (
        (("headline",), 160),
        (("body",), 5000),
    ),
    "STANDARD_PRODUCT_DESCRIPTION": ((("body",), 6000),),
}


def _relative(module_type: str, path: Path) -> Path:
    """Drop the leading body key so callers may pass paths from the module or from its body."""
    if path and path[0] == MODULE_BODY_KEY.get(module_type):
        return path[1:]
    return path


def _matches(pattern: Path, path: Path) -> bool:
    if len(pattern) != len(path):
        return False
    return all(p == q or (p == "*" and isinstance(q, int)) for p, q in zip(pattern, path))


def _lookup(table: tuple[tuple[Path, object], ...], path: Path) -> object | None:
    for pattern, value in table:
        if _matches(pattern, path):
            return value
    return None


def min_image_size(module_type: str, path: Path) -> tuple[int, int] | None:
    """Minimum (width, height) in px for the ImageComponent at `path`, None where none applies."""
    found = _lookup(_MIN_IMAGE.get(module_type, ()), _relative(module_type, path))
    return found if isinstance(found, tuple) else None


def text_limit(module_type: str, path: Path) -> int | None:
    """Max characters for the text, paragraph or plain string at `path` where §6 is stricter."""
    found = _lookup(_TEXT.get(module_type, ()), _relative(module_type, path))
    return found if isinstance(found, int) else None


def image_paths(module_type: str) -> tuple[tuple[Path, tuple[int, int]], ...]:
    """Every ImageComponent path pattern of a module type with its minimum size (for generators)."""
    return _MIN_IMAGE.get(module_type, ())


def text_limits(module_type: str) -> tuple[tuple[Path, int], ...]:
    """Every stricter text limit of a module type, as (path pattern, max characters)."""
    return _TEXT.get(module_type, ())


def text_length(node: Any) -> int:
    """Characters a limit counts: a TextComponent's value, a paragraph's values summed, a string."""
    if isinstance(node, str):
        return len(node)
    if isinstance(node, dict):
        if isinstance(node.get("value"), str):
            return len(node["value"])
        text_list = node.get("textList")
        if isinstance(text_list, list):
            return sum(len(t["value"]) for t in text_list if isinstance(t, dict)
                       and isinstance(t.get("value"), str))
    return 0


def _resolve(node: Any, pattern: Path, at: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, node) under `node` that a table pattern ("*" = any list index) names."""
    if not pattern:
        yield at, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(node, list):
            for index, child in enumerate(node):
                yield from _resolve(child, rest, (*at, index))
    elif isinstance(node, dict) and head in node:
        yield from _resolve(node[head], rest, (*at, head))


def _document_order(body: Any, path: Path) -> tuple[int, ...]:
    """Where `path` comes in a depth-first reading of `body` (keys in the order written)."""
    order: list[int] = []
    for part in path:
        order.append(part if isinstance(body, list) else list(body).index(part))
        body = body[part]
    return tuple(order)


def _named(module: dict[str, Any], table: Mapping[str, tuple[tuple[Path, Any], ...]],
           keep: Callable[[Any, Any], bool]) -> list[tuple[Path, Any, Any]]:
    """(path from the body key, table value, node) where `keep(value, node)`, in document order.

    The module's patterns lead the search, so only the fields a limit names are visited; a
    module whose type or body is malformed yields nothing (the models report that).
    """
    module_type = module.get("contentModuleType")
    body_key = MODULE_BODY_KEY.get(module_type) if isinstance(module_type, str) else None
    if body_key is None or body_key not in module:
        return []
    body = module[body_key]
    found = [(path, value, node) for pattern, value in table.get(module_type, ())
             for path, node in _resolve(body, pattern) if keep(value, node)]
    found.sort(key=lambda hit: _document_order(body, hit[0]))
    return [((body_key, *path), value, node) for path, value, node in found]


def text_overruns(module: dict[str, Any]) -> list[tuple[Path, int, int]]:
    """(path, limit, length) of every field in an API-shaped module longer than its §6 limit.

    Paths start at the body key, e.g. ``("standardText", "body")``.
    """
    return [(path, limit, text_length(node))
            for path, limit, node in _named(module, _TEXT, lambda limit, node: text_length(node) > limit)]


def image_minimums(module: dict[str, Any]) -> list[tuple[Path, tuple[int, int], Any]]:
    """(path, minimum (w, h), ImageComponent node) for every image present in a module."""
    return _named(module, _MIN_IMAGE, lambda _, node: isinstance(node, dict))


# --- which single-image module shows a generated image best -----------------------------------

IMAGE_LED_MODULES: Final[dict[str, tuple[int, int]]] = {
    "STANDARD_HEADER_IMAGE_TEXT": (970, 600),
    "STANDARD_IMAGE_TEXT_OVERLAY": (970, 300),
    "STANDARD_SINGLE_SIDE_IMAGE": (300, 300),
}
"""Standard modules led by one full image, with the image size each is designed around."""


def image_led_module_for(width: int, height: int) -> str:
    """The image-led module whose shape is closest to (width, height).

    Aspect ratio decides; modules whose minimum size the image does not meet are only used
    when none fits, so a small image still gets a module (and validation reports the size).
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    ratio = math.log(width / height)

    def distance(item: tuple[str, tuple[int, int]]) -> float:
        w, h = item[1]
        return abs(ratio - math.log(w / h))

    fitting = [(t, s) for t, s in IMAGE_LED_MODULES.items() if width >= s[0] and height >= s[1]]
    return min(fitting or list(IMAGE_LED_MODULES.items()), key=distance)[0]
