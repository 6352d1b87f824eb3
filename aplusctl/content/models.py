"""Pydantic v2 models of the SP-API A+ Content 2020-11-01 ContentDocument, written by hand.

They state exactly what the official OpenAPI model states (required fields, enums, lengths, item
counts, ranges, the locale pattern) so that a document validating here is one createContentDocument
accepts on shape. Stricter per-module rules (image sizes, Seller Central text limits, module
counts) live in `limits.py` and are applied by the validator, not here.

Field names are the API's camelCase names themselves (no aliases), so a pydantic error `loc`
is the API field path: ``("contentModuleList", 2, "standardText", "headline", "value")``.
Request-side models forbid unknown keys; response-side models are lenient, because real data
breaks the stated limits (long names and alt text, empty details).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pydantic_core import PydanticCustomError

from aplusctl.content.limits import MODULE_BODY_KEY

# --- enums --------------------------------------------------------------------------------------


class ContentType(StrEnum):
    EBC = "EBC"  # Seller Central
    EMC = "EMC"  # Vendor Central


class ContentStatus(StrEnum):
    APPROVED = "APPROVED"
    DRAFT = "DRAFT"
    REJECTED = "REJECTED"
    SUBMITTED = "SUBMITTED"


class ContentBadge(StrEnum):
    BULK = "BULK"
    GENERATED = "GENERATED"
    LAUNCHPAD = "LAUNCHPAD"
    PREMIUM = "PREMIUM"
    STANDARD = "STANDARD"


class AsinBadge(StrEnum):
    BRAND_NOT_ELIGIBLE = "BRAND_NOT_ELIGIBLE"
    CATALOG_NOT_FOUND = "CATALOG_NOT_FOUND"
    CONTENT_NOT_PUBLISHED = "CONTENT_NOT_PUBLISHED"
    CONTENT_PUBLISHED = "CONTENT_PUBLISHED"


class ContentModuleType(StrEnum):
    STANDARD_COMPANY_LOGO = "STANDARD_COMPANY_LOGO"
    STANDARD_COMPARISON_TABLE = "STANDARD_COMPARISON_TABLE"
    STANDARD_FOUR_IMAGE_TEXT = "STANDARD_FOUR_IMAGE_TEXT"
    STANDARD_FOUR_IMAGE_TEXT_QUADRANT = "STANDARD_FOUR_IMAGE_TEXT_QUADRANT"
    STANDARD_HEADER_IMAGE_TEXT = "STANDARD_HEADER_IMAGE_TEXT"
    STANDARD_IMAGE_SIDEBAR = "STANDARD_IMAGE_SIDEBAR"
    STANDARD_IMAGE_TEXT_OVERLAY = "STANDARD_IMAGE_TEXT_OVERLAY"
    STANDARD_MULTIPLE_IMAGE_TEXT = "STANDARD_MULTIPLE_IMAGE_TEXT"
    STANDARD_PRODUCT_DESCRIPTION = "STANDARD_PRODUCT_DESCRIPTION"
    STANDARD_SINGLE_IMAGE_HIGHLIGHTS = "STANDARD_SINGLE_IMAGE_HIGHLIGHTS"
    STANDARD_SINGLE_IMAGE_SPECS_DETAIL = "STANDARD_SINGLE_IMAGE_SPECS_DETAIL"
    STANDARD_SINGLE_SIDE_IMAGE = "STANDARD_SINGLE_SIDE_IMAGE"
    STANDARD_TECH_SPECS = "STANDARD_TECH_SPECS"
    STANDARD_TEXT = "STANDARD_TEXT"
    STANDARD_THREE_IMAGE_TEXT = "STANDARD_THREE_IMAGE_TEXT"


class DecoratorType(StrEnum):
    LIST_ITEM = "LIST_ITEM"
    LIST_ORDERED = "LIST_ORDERED"
    LIST_UNORDERED = "LIST_UNORDERED"
    STYLE_BOLD = "STYLE_BOLD"
    STYLE_ITALIC = "STYLE_ITALIC"
    STYLE_LINEBREAK = "STYLE_LINEBREAK"
    STYLE_PARAGRAPH = "STYLE_PARAGRAPH"
    STYLE_UNDERLINE = "STYLE_UNDERLINE"


class ColorType(StrEnum):
    DARK = "DARK"
    LIGHT = "LIGHT"


class PositionType(StrEnum):
    LEFT = "LEFT"
    RIGHT = "RIGHT"


# --- scalar types (strict: YAML `5` is not a string, `"5"` is not a number, `yes` not a bool) ---

LOCALE_PATTERN = r"^[a-z]{2,}-[A-Z0-9]{2,}$"

Str = Annotated[str, Field(strict=True)]
NonEmptyStr = Annotated[str, Field(strict=True, min_length=1)]
Int = Annotated[int, Field(strict=True)]
Bool = Annotated[bool, Field(strict=True)]
Asin = Annotated[str, Field(strict=True, min_length=10)]
LanguageTag = Annotated[str, Field(strict=True, min_length=5, pattern=LOCALE_PATTERN)]
ItemPosition = Annotated[int, Field(strict=True, ge=1, le=100)]


def _no_duplicates(items: list[Any], what: str) -> list[Any]:
    """Enforce the model's `uniqueItems: true` (lists of models are not hashable)."""
    seen: list[Any] = []
    for item in items:
        if item in seen:
            raise PydanticCustomError("unique_items", f"{what} must not repeat an item")
        seen.append(item)
    return items


def _distinct_positions(items: Iterable[Any]) -> None:
    """The model says items in one collection cannot share a position."""
    seen: set[int] = set()
    for item in items:
        if item.position in seen:
            raise PydanticCustomError(
                "unique_position", f"position {item.position} is used more than once"
            )
        seen.add(item.position)


class _Request(BaseModel):
    """Request-side shape: unknown keys are errors, as the API would refuse them."""

    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    """Response-side shape: tolerant of extra keys and of values beyond the stated limits."""

    model_config = ConfigDict(extra="allow")


# --- components ---------------------------------------------------------------------------------


class Decorator(_Request):
    type: DecoratorType | None = None
    offset: Annotated[int, Field(strict=True, ge=0, le=10000)] | None = None
    length: Annotated[int, Field(strict=True, ge=0, le=10000)] | None = None
    depth: Annotated[int, Field(strict=True, ge=0, le=100)] | None = None


class TextComponent(_Request):
    value: Annotated[str, Field(strict=True, min_length=1, max_length=10000)]
    decoratorSet: list[Decorator] | None = None

    @field_validator("decoratorSet")
    @classmethod
    def _unique_decorators(cls, v: list[Decorator] | None) -> list[Decorator] | None:
        return None if v is None else _no_duplicates(v, "decoratorSet")


class ParagraphComponent(_Request):
    textList: Annotated[list[TextComponent], Field(min_length=1, max_length=100)]


class IntegerWithUnits(_Request):
    value: Int
    units: Str


class ImageDimensions(_Request):
    width: IntegerWithUnits
    height: IntegerWithUnits


class ImageOffsets(_Request):
    x: IntegerWithUnits
    y: IntegerWithUnits


class ImageCropSpecification(_Request):
    size: ImageDimensions
    offset: ImageOffsets | None = None


class ImageComponent(_Request):
    uploadDestinationId: NonEmptyStr
    imageCropSpecification: ImageCropSpecification
    altText: Annotated[str, Field(strict=True, min_length=1, max_length=100)]


class PlainTextItem(_Request):
    position: ItemPosition
    value: Annotated[str, Field(strict=True, min_length=1, max_length=250)]


class TextItem(_Request):
    position: ItemPosition
    text: TextComponent


# --- blocks -------------------------------------------------------------------------------------


class StandardTextBlock(_Request):
    headline: TextComponent | None = None
    body: ParagraphComponent | None = None


class StandardImageTextBlock(_Request):
    image: ImageComponent | None = None
    headline: TextComponent | None = None
    body: ParagraphComponent | None = None


class StandardImageCaptionBlock(_Request):
    image: ImageComponent | None = None
    caption: TextComponent | None = None


class StandardImageTextCaptionBlock(_Request):
    block: StandardImageTextBlock | None = None
    caption: TextComponent | None = None


class StandardTextListBlock(_Request):
    textList: Annotated[list[TextItem], Field(min_length=0, max_length=8)]

    @field_validator("textList")
    @classmethod
    def _positions(cls, v: list[TextItem]) -> list[TextItem]:
        _distinct_positions(v)
        return v


class StandardHeaderTextListBlock(_Request):
    headline: TextComponent | None = None
    block: StandardTextListBlock | None = None


class StandardTextPairBlock(_Request):
    label: TextComponent | None = None
    description: TextComponent | None = None


class StandardComparisonProductBlock(_Request):
    position: Annotated[int, Field(strict=True, ge=1, le=6)]
    image: ImageComponent | None = None
    title: Annotated[str, Field(strict=True, min_length=1, max_length=80)] | None = None
    asin: Asin | None = None
    highlight: Bool | None = None
    metrics: Annotated[list[PlainTextItem], Field(min_length=0, max_length=10)] | None = None

    @field_validator("metrics")
    @classmethod
    def _positions(cls, v: list[PlainTextItem] | None) -> list[PlainTextItem] | None:
        if v is not None:
            _distinct_positions(v)
        return v


# --- modules ------------------------------------------------------------------------------------


class StandardCompanyLogoModule(_Request):
    companyLogo: ImageComponent


class StandardComparisonTableModule(_Request):
    productColumns: (
        Annotated[list[StandardComparisonProductBlock], Field(min_length=0, max_length=6)] | None
    ) = None
    metricRowLabels: Annotated[list[PlainTextItem], Field(min_length=0, max_length=10)] | None = (
        None
    )

    @field_validator("productColumns", "metricRowLabels")
    @classmethod
    def _positions(cls, v: list[Any] | None) -> list[Any] | None:
        if v is not None:
            _distinct_positions(v)
        return v


class StandardFourImageTextModule(_Request):
    headline: TextComponent | None = None
    block1: StandardImageTextBlock | None = None
    block2: StandardImageTextBlock | None = None
    block3: StandardImageTextBlock | None = None
    block4: StandardImageTextBlock | None = None


class StandardFourImageTextQuadrantModule(_Request):
    block1: StandardImageTextBlock
    block2: StandardImageTextBlock
    block3: StandardImageTextBlock
    block4: StandardImageTextBlock


class StandardHeaderImageTextModule(_Request):
    headline: TextComponent | None = None
    block: StandardImageTextBlock | None = None


class StandardImageSidebarModule(_Request):
    headline: TextComponent | None = None
    imageCaptionBlock: StandardImageCaptionBlock | None = None
    descriptionTextBlock: StandardTextBlock | None = None
    descriptionListBlock: StandardTextListBlock | None = None
    sidebarImageTextBlock: StandardImageTextBlock | None = None
    sidebarListBlock: StandardTextListBlock | None = None


class StandardImageTextOverlayModule(_Request):
    overlayColorType: ColorType
    block: StandardImageTextBlock | None = None


class StandardMultipleImageTextModule(_Request):
    blocks: list[StandardImageTextCaptionBlock] | None = None


class StandardProductDescriptionModule(_Request):
    body: ParagraphComponent


class StandardSingleImageHighlightsModule(_Request):
    image: ImageComponent | None = None
    headline: TextComponent | None = None
    textBlock1: StandardTextBlock | None = None
    textBlock2: StandardTextBlock | None = None
    textBlock3: StandardTextBlock | None = None
    bulletedListBlock: StandardHeaderTextListBlock | None = None


class StandardSingleImageSpecsDetailModule(_Request):
    headline: TextComponent | None = None
    image: ImageComponent | None = None
    descriptionHeadline: TextComponent | None = None
    descriptionBlock1: StandardTextBlock | None = None
    descriptionBlock2: StandardTextBlock | None = None
    specificationHeadline: TextComponent | None = None
    specificationListBlock: StandardHeaderTextListBlock | None = None
    specificationTextBlock: StandardTextBlock | None = None


class StandardSingleSideImageModule(_Request):
    imagePositionType: PositionType
    block: StandardImageTextBlock | None = None


class StandardTechSpecsModule(_Request):
    headline: TextComponent | None = None
    specificationList: Annotated[list[StandardTextPairBlock], Field(min_length=4, max_length=16)]
    tableCount: Annotated[int, Field(strict=True, ge=1, le=2)] | None = None


class StandardTextModule(_Request):
    headline: TextComponent | None = None
    body: ParagraphComponent


class StandardThreeImageTextModule(_Request):
    headline: TextComponent | None = None
    block1: StandardImageTextBlock | None = None
    block2: StandardImageTextBlock | None = None
    block3: StandardImageTextBlock | None = None


MODULE_BODY_MODELS: dict[str, type[BaseModel]] = {
    "standardCompanyLogo": StandardCompanyLogoModule,
    "standardComparisonTable": StandardComparisonTableModule,
    "standardFourImageText": StandardFourImageTextModule,
    "standardFourImageTextQuadrant": StandardFourImageTextQuadrantModule,
    "standardHeaderImageText": StandardHeaderImageTextModule,
    "standardImageSidebar": StandardImageSidebarModule,
    "standardImageTextOverlay": StandardImageTextOverlayModule,
    "standardMultipleImageText": StandardMultipleImageTextModule,
    "standardProductDescription": StandardProductDescriptionModule,
    "standardSingleImageHighlights": StandardSingleImageHighlightsModule,
    "standardSingleImageSpecsDetail": StandardSingleImageSpecsDetailModule,
    "standardSingleSideImage": StandardSingleSideImageModule,
    "standardTechSpecs": StandardTechSpecsModule,
    "standardText": StandardTextModule,
    "standardThreeImageText": StandardThreeImageTextModule,
}
"""Body key → the model of that module's body."""


class ContentModule(_Request):
    """One module: `contentModuleType` plus exactly the body key that type names."""

    contentModuleType: ContentModuleType
    standardCompanyLogo: StandardCompanyLogoModule | None = None
    standardComparisonTable: StandardComparisonTableModule | None = None
    standardFourImageText: StandardFourImageTextModule | None = None
    standardFourImageTextQuadrant: StandardFourImageTextQuadrantModule | None = None
    standardHeaderImageText: StandardHeaderImageTextModule | None = None
    standardImageSidebar: StandardImageSidebarModule | None = None
    standardImageTextOverlay: StandardImageTextOverlayModule | None = None
    standardMultipleImageText: StandardMultipleImageTextModule | None = None
    standardProductDescription: StandardProductDescriptionModule | None = None
    standardSingleImageHighlights: StandardSingleImageHighlightsModule | None = None
    standardSingleImageSpecsDetail: StandardSingleImageSpecsDetailModule | None = None
    standardSingleSideImage: StandardSingleSideImageModule | None = None
    standardTechSpecs: StandardTechSpecsModule | None = None
    standardText: StandardTextModule | None = None
    standardThreeImageText: StandardThreeImageTextModule | None = None

    @field_validator(*MODULE_BODY_MODELS, mode="before")
    @classmethod
    def _body_key_matches_type(cls, v: Any, info: ValidationInfo) -> Any:
        """Reject a foreign body key before its contents, so the error names the key itself."""
        module_type = info.data.get("contentModuleType")
        if v is None or module_type is None:
            return v
        expected = MODULE_BODY_KEY[module_type]
        if info.field_name != expected:
            raise PydanticCustomError(
                "module_body_key",
                f"a {module_type.value} module takes its body under '{expected}', "
                f"not '{info.field_name}'",
            )
        return v

    @model_validator(mode="after")
    def _has_body(self) -> ContentModule:
        expected = MODULE_BODY_KEY[self.contentModuleType]
        if getattr(self, expected) is None:
            raise PydanticCustomError(
                "module_body_missing",
                f"a {self.contentModuleType.value} module needs its body under '{expected}'",
            )
        return self

    @property
    def body_key(self) -> str:
        return MODULE_BODY_KEY[self.contentModuleType]

    @property
    def body(self) -> BaseModel:
        return getattr(self, self.body_key)


class ContentDocument(_Request):
    name: Annotated[str, Field(strict=True, min_length=1, max_length=100)]
    contentType: ContentType
    contentSubType: NonEmptyStr | None = None
    locale: LanguageTag
    contentModuleList: Annotated[list[ContentModule], Field(min_length=1, max_length=100)]


class PostContentDocumentRequest(_Request):
    """The body of createContentDocument and updateContentDocument."""

    contentDocument: ContentDocument


class PostContentDocumentAsinRelationsRequest(_Request):
    asinSet: list[Asin]

    @field_validator("asinSet")
    @classmethod
    def _unique_asins(cls, v: list[str]) -> list[str]:
        return _no_duplicates(v, "asinSet")


# --- response side (lenient) --------------------------------------------------------------------


class Error(_Response):
    code: str
    message: str
    details: str | None = None


class ContentMetadata(_Response):
    name: str
    marketplaceId: str
    status: ContentStatus
    badgeSet: list[ContentBadge]
    updateTime: datetime


class ContentMetadataRecord(_Response):
    contentReferenceKey: str
    contentMetadata: ContentMetadata


class ContentRecord(_Response):
    """getContentDocument's record. `contentDocument` stays a plain dict: live documents made in
    Seller Central break request-side limits, and the planner diffs dicts anyway."""

    contentReferenceKey: str
    contentMetadata: ContentMetadata | None = None
    contentDocument: dict[str, Any] | None = None


class AsinMetadata(_Response):
    asin: str
    badgeSet: list[AsinBadge] | None = None
    parent: str | None = None
    title: str | None = None
    imageUrl: str | None = None
    contentReferenceKeySet: list[str] | None = None


class PublishRecord(_Response):
    marketplaceId: str
    locale: str
    asin: str
    contentType: ContentType
    contentSubType: str | None = None
    contentReferenceKey: str


# --- serialisation ------------------------------------------------------------------------------


def to_api(model: BaseModel) -> dict[str, Any]:
    """The JSON the API takes: camelCase, model field order, absent rather than null."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def parse_document(data: Any) -> ContentDocument:
    """Validate a ContentDocument in API shape; raises pydantic.ValidationError."""
    return ContentDocument.model_validate(data)


def parse_module(data: Any) -> ContentModule:
    """Validate one ContentModule in API shape; raises pydantic.ValidationError."""
    return ContentModule.model_validate(data)
