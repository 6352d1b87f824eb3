"""The inverse of sugar expansion: an SP-API ContentModule → the shortest form a file may hold.

Used by `import`, so adopted documents read like hand-written ones (DESIGN.md "Content files"):
- a TextComponent without decorators → a plain string;
- a ParagraphComponent of one undecorated text → a plain string; otherwise each undecorated
  item of its textList becomes a plain string;
- an ImageComponent in pixels → `{upload_destination_id, alt, size: {width, height}}`, or
  `crop: {width, height, x, y}` when the crop has an offset (the loader's uploaded-image sugar);
  anything else stays in the API shape, which the loader also accepts;
- `contentModuleType` is left out (it is inferred from the one body key).

Walked by the same `SHAPES` table as `expand.py`, so the two stay inverse by construction.
Keys the table does not know, and module types aplusctl does not model (Premium A+, Brand Story),
raise `Unrepresentable`: the caller must skip the document rather than write a mangled file.
Absent, null and empty values are dropped (normalize.py treats them as equal).
"""

from __future__ import annotations

from typing import Any

from aplusctl.content.expand import BODY_SHAPE, SHAPES, UNITS, Kind
from aplusctl.content.limits import MODULE_BODY_KEY

Json = dict[str, Any]


class Unrepresentable(Exception):
    """A live module that no content file can express; `where` is a dotted API path."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.where = where
        self.reason = reason


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def sugar_module(module: Any, index: int = 0) -> Json:
    """One ContentModule (API shape) → its file form; raises Unrepresentable."""
    where: tuple[str | int, ...] = (f"contentModuleList[{index}]",)
    if not isinstance(module, dict):
        raise Unrepresentable(_dotted(where), "a module must be an object")
    kind = module.get("contentModuleType")
    if kind not in MODULE_BODY_KEY:
        raise Unrepresentable(
            _dotted(where),
            f"module type {kind!r} is not one aplusctl can represent (only the 15 STANDARD_* "
            "types of SP-API 2020-11-01; Premium A+ and Brand Story are edited in Seller Central)",
        )
    body_key = MODULE_BODY_KEY[kind]
    extra = [k for k, v in module.items() if k not in ("contentModuleType", body_key) and not _empty(v)]
    if extra:
        raise Unrepresentable(_dotted(where + (extra[0],)), f"a {kind} module cannot carry {extra[0]!r}")
    if _empty(module.get(body_key)):
        raise Unrepresentable(_dotted(where), f"a {kind} module without its {body_key} body")
    return {body_key: _walk(module[body_key], BODY_SHAPE[body_key], where + (body_key,))}


def _walk(value: Any, kind: Kind, path: tuple[str | int, ...]) -> Any:
    if isinstance(kind, tuple):
        if not isinstance(value, list):
            raise Unrepresentable(_dotted(path), "expected a list")
        return [_walk(v, kind[1], path + (i,)) for i, v in enumerate(value) if not _empty(v)]
    if kind == "scalar":
        return value
    if kind == "text":
        return _text(value, path)
    if kind == "para":
        return _paragraph(value, path)
    if kind == "image":
        return _image(value, path)
    return _block(value, kind, path)


def _block(value: Any, shape_name: str, path: tuple[str | int, ...]) -> Json:
    if not isinstance(value, dict):
        raise Unrepresentable(_dotted(path), "expected an object")
    shape = SHAPES[shape_name]
    for key, item in value.items():
        if key not in shape and not _empty(item):
            raise Unrepresentable(_dotted(path + (key,)), f"{key!r} is not part of {shape_name}")
    out: Json = {}
    for key, kind in shape.items():  # the model's own key order, as in hand-written files
        item = value.get(key)
        if _empty(item):
            continue
        walked = _walk(item, kind, path + (key,))
        if not _empty(walked):
            out[key] = walked
    return out


def _text(value: Any, path: tuple[str | int, ...]) -> Any:
    block = _block(value, "TextComponent", path)
    if set(block) == {"value"} and isinstance(block["value"], str):
        return block["value"]
    return block


def _paragraph(value: Any, path: tuple[str | int, ...]) -> Any:
    block = _block(value, "ParagraphComponent", path)
    items = block.get("textList")
    if set(block) == {"textList"} and isinstance(items, list) and len(items) == 1 and isinstance(items[0], str):
        return items[0]
    return block


def _pixels(spec: Any, axis_keys: tuple[str, str]) -> tuple[int, int] | None:
    """(a, b) when both dimensions are whole pixel counts, else None."""
    if not isinstance(spec, dict) or set(spec) - set(axis_keys):
        return None
    out: list[int] = []
    for axis in axis_keys:
        item = spec.get(axis, {"value": 0, "units": UNITS})
        if not isinstance(item, dict) or set(item) != {"value", "units"} or item["units"] != UNITS:
            return None
        number = item["value"]
        if not isinstance(number, int) or isinstance(number, bool):
            return None
        out.append(number)
    return out[0], out[1]


def _image(value: Any, path: tuple[str | int, ...]) -> Json:
    full = _block(value, "ImageComponent", path)
    udi, alt, crop = full.get("uploadDestinationId"), full.get("altText"), full.get("imageCropSpecification")
    if not (isinstance(udi, str) and udi and isinstance(alt, str) and isinstance(crop, dict)):
        return full
    if set(crop) - {"size", "offset"} or "size" not in crop:
        return full
    size = _pixels(crop["size"], ("width", "height"))
    offset = _pixels(crop.get("offset") or {}, ("x", "y"))
    if size is None or offset is None or min(size) < 1 or min(offset) < 0:
        return full
    (width, height), (x, y) = size, offset
    out: Json = {"upload_destination_id": udi, "alt": alt}
    if x or y:
        out["crop"] = {"width": width, "height": height, "x": x, "y": y}
    else:
        out["size"] = {"width": width, "height": height}
    return out


# --- images the repo already holds -------------------------------------------------------------


def localize_images(node: Any, local: dict[str, tuple[str, int, int]]) -> Any:
    """Swap `{upload_destination_id}` references for `{src: <file>}` where the repo holds the file.

    `local` maps an uploadDestinationId → (repo-relative path, width, height) of the file
    aplus.lock says was uploaded there. The crop is left out when it covers the whole file, as a
    hand-written `{src, alt}` would; a crop that does not fit the file keeps the reference.
    """
    if isinstance(node, list):
        return [localize_images(v, local) for v in node]
    if not isinstance(node, dict):
        return node
    udi = node.get("upload_destination_id")
    if isinstance(udi, str) and udi in local:
        path, width, height = local[udi]
        rect = node.get("crop") or {**node.get("size", {}), "x": 0, "y": 0}
        w, h, x, y = (rect.get(k) for k in ("width", "height", "x", "y"))
        if not all(isinstance(v, int) for v in (w, h, x, y)) or x + w > width or y + h > height:
            return node
        out: Json = {"src": path, "alt": node["alt"]}
        if (w, h, x, y) != (width, height, 0, 0):
            out["crop"] = {"width": w, "height": h, "x": x, "y": y}
        return out
    return {k: localize_images(v, local) for k, v in node.items()}
