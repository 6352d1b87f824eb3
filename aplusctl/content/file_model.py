"""The content FILE format: what a user writes, before sugar expansion.

Modules are kept as raw data here: expand.py turns them into API shape and models.py checks that
shape. This model covers the document-level fields and the `generate:` stanza, and its JSON
Schema (with the sugar-aware module schema plugged in) is what editors use to complete files.
Rules that need the repo context (known marketplaces, ASIN form, locale, duplicate names) live in
rules.py, so one problem is reported once, at its own line.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aplusctl.content.models import LOCALE_PATTERN, ContentModule
from aplusctl.content.yamlpos import FieldPath

ASIN_PATTERN = r"^[A-Z0-9]{10}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

PixiiCountry = Literal[
    "AE", "AU", "BE", "BR", "CA", "CN", "DE", "EG", "ES", "FR", "GB", "IE", "IN",
    "IT", "JP", "MX", "NL", "PL", "SA", "SE", "SG", "TR", "UK", "US", "ZA",
]
PixiiType = Literal["A+ Basic", "A+ Premium", "A+ Premium Mobile"]
ModuleTypeName = Literal[
    "STANDARD_COMPANY_LOGO", "STANDARD_COMPARISON_TABLE", "STANDARD_FOUR_IMAGE_TEXT",
    "STANDARD_FOUR_IMAGE_TEXT_QUADRANT", "STANDARD_HEADER_IMAGE_TEXT", "STANDARD_IMAGE_SIDEBAR",
    "STANDARD_IMAGE_TEXT_OVERLAY", "STANDARD_MULTIPLE_IMAGE_TEXT", "STANDARD_PRODUCT_DESCRIPTION",
    "STANDARD_SINGLE_IMAGE_HIGHLIGHTS", "STANDARD_SINGLE_IMAGE_SPECS_DETAIL", "STANDARD_SINGLE_SIDE_IMAGE",
    "STANDARD_TECH_SPECS", "STANDARD_TEXT", "STANDARD_THREE_IMAGE_TEXT",
]

Str = Annotated[str, Field(strict=True)]
NonEmpty = Annotated[str, Field(strict=True, min_length=1)]
URL_PATTERN = r"^https?://\S+$"
Url = Annotated[str, Field(strict=True, pattern=URL_PATTERN)]


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be empty")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class GenerateStanza(_Strict):
    """Ask Pixii to generate this document's modules from an ASIN (applied by `apply`)."""

    asin: Annotated[str, Field(strict=True, description="The ASIN Pixii reads the product from.",
                               json_schema_extra={"pattern": ASIN_PATTERN})]
    country_code: Annotated[PixiiCountry, Field(description="Pixii's marketplace code.")]
    types: Annotated[list[PixiiType], Field(min_length=1, max_length=3, json_schema_extra={"uniqueItems": True},
                                            description="Which A+ variants to generate (credits: 20/20/30).")]
    main_image_url: Annotated[Url | None, Field(description="Public URL of the main product image.")] = None
    other_image_urls: Annotated[list[Url] | None, Field(min_length=1, description="More public image URLs.")] = None
    user_prompt: Annotated[NonEmpty | None, Field(description="Free-text guidance for the generator.")] = None
    alt_text: Annotated[str | None, Field(strict=True, min_length=1, max_length=100,
                                          description="aplusctl: alt text for generated images.")] = None
    module_type: Annotated[ModuleTypeName | None, Field(
        description="aplusctl: the A+ module type generated images are placed in.")] = None
    submit: Annotated[bool | None, Field(description="aplusctl: submit generated content for approval "
                                                     "(default: the document's submit).")] = None

    @field_validator("types")
    @classmethod
    def _unique_types(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for item in value:
            if item in seen:
                raise ValueError(f"{item!r} is listed twice")
            seen.add(item)
        return value

    _blank_prompt = field_validator("user_prompt")(_not_blank)


class ContentFile(_Strict):
    """One A+ content document, possibly published to several marketplaces."""

    name: Annotated[str, Field(strict=True, min_length=1, max_length=100,
                               description="The document's identity within a marketplace.")]
    locale: Annotated[str | None, Field(strict=True, description="e.g. en-US; default: each marketplace's usual "
                                        "locale.", json_schema_extra={"pattern": LOCALE_PATTERN})] = None
    marketplaces: Annotated[list[Str] | None, Field(min_length=1, description="Country codes (US, DE, JP) or "
                                                    "marketplace IDs; default: aplusctl.yaml's marketplaces.")] = None
    asins: Annotated[list[Annotated[str, Field(strict=True, json_schema_extra={"pattern": ASIN_PATTERN})]],
                     Field(description="Products that show this content.")] = []
    previous_names: Annotated[list[NonEmpty], Field(description="Earlier names, so a rename updates the live "
                                                    "document instead of creating one.")] = []
    content_reference_key: Annotated[str | None, Field(strict=True, pattern=UUID_PATTERN,
                                                       description="Pin to one live document.")] = None
    submit: Annotated[bool, Field(description="Submit for approval after apply.")] = True
    status: Annotated[Literal["active", "suspended"], Field(description="suspended: take the content down.")] = "active"
    modules: Annotated[list[Any], Field(description="A+ modules in SP-API shape, with sugars.")] = []
    generate: GenerateStanza | None = None


TOP_LEVEL_KEYS: tuple[str, ...] = tuple(ContentFile.model_fields)
GENERATE_KEYS: tuple[str, ...] = tuple(GenerateStanza.model_fields)

_TYPE_WORDS = {
    "string_type": "a string", "int_type": "a whole number", "int_parsing": "a whole number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "float_type": "a number",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _size(kind: str, ctx: dict[str, Any], value: Any) -> str:
    """A length error: `is 120 characters; at most 100 allowed`, `has 0 items; ...`."""
    text = kind.startswith("string_")
    short = kind.endswith("too_short")
    bound = ctx.get("min_length" if short else "max_length")
    if short and bound == 1:
        return "must not be empty" if text else "must have at least one item"
    count = f"is {len(value)} characters" if text else f"has {ctx.get('actual_length')} items"
    return f"{count}; at least {bound} required" if short else f"{count}; at most {bound} allowed"


def friendly(error: Any) -> str:
    """A pydantic error dict → a message a content author understands."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "is required"
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, got {_describe(value)}"
    if kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        return _size(kind, ctx, value)
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == UUID_PATTERN:
        return f"{value!r} is not a content reference key (a UUID such as 0b6b1d9c-7f0e-4c3a-9a55-2c1e8f3d4a21)"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == URL_PATTERN:
        return f"{value!r} is not an http(s) URL"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match the pattern {ctx.get('pattern')}"
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",")]
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
        if hint and len(choices) > 6:
            return f"{_describe(value)} is not one of the {len(choices)} allowed values{hint}"
        return f"{_describe(value)} is not one of {expected}{hint}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    msg = str(error["msg"])
    return msg[0].lower() + msg[1:] if msg else kind


def pydantic_problems(exc: ValidationError) -> list[tuple[FieldPath, str, str]]:
    """(loc, error type, message) for each error; the caller maps loc to the file."""
    out: list[tuple[FieldPath, str, str]] = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if isinstance(p, (str, int)))
        out.append((loc, error["type"], friendly(error)))
    return out


# --- image sugars (expand.py applies them; these models give them a schema) ---------------------

Px = Annotated[int, Field(strict=True, ge=1)]
Offset = Annotated[int, Field(strict=True, ge=0)]
AltText = Annotated[str, Field(strict=True, min_length=1, max_length=100, description="Alt text (altText).")]


class CropSugar(_Strict):
    """The part of the image to show, in pixels from the top left corner."""

    width: Px
    height: Px
    x: Offset = 0
    y: Offset = 0


class SizeSugar(_Strict):
    """The full size of an already uploaded image, which aplusctl cannot read."""

    width: Px
    height: Px


class LocalImageSugar(_Strict):
    """An image file in the repo; apply uploads it. The crop defaults to the whole image."""

    src: Annotated[str, Field(strict=True, min_length=1, description="Path relative to the repo root.")]
    alt: AltText
    crop: CropSugar | None = None


class UploadedImageSugar(_Strict):
    """An image already in the A+ media library (an Uploads API uploadDestinationId)."""

    upload_destination_id: Annotated[str, Field(strict=True, min_length=1)]
    alt: AltText
    size: SizeSugar | None = None
    crop: CropSugar | None = None


# --- JSON Schema ------------------------------------------------------------------------------------

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_REF = "#/$defs/"


def editor_schema(node: Any) -> Any:
    """A pydantic JSON Schema as a file's author sees it: no null (absent is how to leave a field
    out), a string for TextComponent/ParagraphComponent and {src, alt} for ImageComponent."""
    if isinstance(node, list):
        return [editor_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref in (_REF + "TextComponent", _REF + "ParagraphComponent") and len(node) == 1:
        return {"anyOf": [{"type": "string", "minLength": 1}, node]}
    if ref == _REF + "ImageComponent" and len(node) == 1:
        return {"anyOf": [{"$ref": _REF + "LocalImageSugar"}, {"$ref": _REF + "UploadedImageSugar"}, node]}
    out = {k: editor_schema(v) for k, v in node.items() if not (k == "default" and v is None)}
    if "anyOf" in out:
        options = [o for o in out["anyOf"] if o != {"type": "null"}]
        flat: list[Any] = []
        for option in options:
            flat.extend(option["anyOf"] if set(option) == {"anyOf"} else [option])
        if len(flat) == 1:
            del out["anyOf"]
            out.update(flat[0])
        else:
            out["anyOf"] = flat
    return out


def content_file_schema() -> dict[str, Any]:
    """JSON Schema of a content file, with the SP-API module shapes and their sugars."""
    defs: dict[str, Any] = {}
    for model in (ContentFile, LocalImageSugar, UploadedImageSugar):
        schema = model.model_json_schema(ref_template=_REF + "{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
    module = ContentModule.model_json_schema(ref_template=_REF + "{model}")
    defs.update(module.pop("$defs", {}))
    module.pop("required", None)  # contentModuleType may be inferred from the one body key
    module["minProperties"] = 1
    module["description"] = "An A+ module: one body key such as standardText (contentModuleType optional)."
    defs["ContentModule"] = module
    defs = {name: editor_schema(schema) for name, schema in sorted(defs.items())}
    top = defs.pop("ContentFile")
    top["properties"]["modules"]["items"] = {"$ref": _REF + "ContentModule"}
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "aplusctl content file",
        **{k: v for k, v in top.items() if k != "title"},
        "$defs": defs,
    }
