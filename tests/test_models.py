"""The content models enforce exactly the official SP-API limits; limits.py holds the stricter ones."""

from __future__ import annotations

import copy
import typing
from typing import Any, Callable

import pytest
from pydantic import BaseModel, ValidationError

from aplusctl.content import limits
from aplusctl.content.limits import (
    BODY_KEY_MODULE,
    MODULE_BODY_KEY,
    image_led_module_for,
    min_image_size,
    text_limit,
)
from aplusctl.content.models import (
    MODULE_BODY_MODELS,
    AsinMetadata,
    ContentDocument,
    ContentMetadata,
    ContentMetadataRecord,
    ContentModule,
    ContentModuleType,
    ContentRecord,
    ContentStatus,
    Error,
    ImageComponent,
    ParagraphComponent,
    PostContentDocumentAsinRelationsRequest,
    PostContentDocumentRequest,
    PublishRecord,
    TextComponent,
    parse_document,
    parse_module,
    to_api,
)
from aplusctl.content.samples import sample_modules

SAMPLES = {m["contentModuleType"]: m for m in sample_modules("sc/fixed.png")}
TYPES = sorted(SAMPLES)


def sample(module_type: str) -> dict[str, Any]:
    return copy.deepcopy(SAMPLES[module_type])


def document(*modules: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    doc = {
        "name": "Northpeak Ridge",
        "contentType": "EBC",
        "locale": "en-US",
        "contentModuleList": list(modules) or [sample("STANDARD_TEXT")],
    }
    doc.update(overrides)
    return doc


def put(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    for part in path[:-1]:
        obj = obj[part]
    obj[path[-1]] = value


def drop(obj: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        obj = obj[part]
    del obj[path[-1]]


def get(obj: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def errors(model: type[BaseModel], data: Any) -> list[tuple[tuple[Any, ...], str, str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(e["loc"], e["type"], e["msg"]) for e in info.value.errors()]


def items(n: int) -> list[dict[str, Any]]:
    return [{"position": i, "text": {"value": f"item {i}"}} for i in range(1, n + 1)]


def plain(n: int) -> list[dict[str, Any]]:
    return [{"position": i, "value": f"v{i}"} for i in range(1, n + 1)]


# --- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("module_type", TYPES)
def test_valid_module_round_trips_unchanged(module_type: str) -> None:
    module = sample(module_type)
    assert to_api(parse_module(module)) == module
    doc = document(module)
    assert to_api(parse_document(doc)) == doc


def test_to_api_keeps_model_field_order_and_drops_nulls() -> None:
    shuffled = {
        "standardText": {"body": {"textList": [{"value": "b"}]}, "headline": None},
        "contentModuleType": "STANDARD_TEXT",
    }
    out = to_api(parse_module(shuffled))
    assert out == {"contentModuleType": "STANDARD_TEXT", "standardText": {"body": {"textList": [{"value": "b"}]}}}
    assert list(out) == ["contentModuleType", "standardText"]


def test_empty_decorator_set_survives_round_trip() -> None:
    module = {"contentModuleType": "STANDARD_TEXT",
              "standardText": {"body": {"textList": [{"value": "x", "decoratorSet": []}]}}}
    assert to_api(parse_module(module)) == module


def test_all_fifteen_types_covered_by_samples() -> None:
    assert TYPES == sorted(t.value for t in ContentModuleType)
    assert len(TYPES) == 15


def test_post_request_wraps_document_with_api_locs() -> None:
    doc = document(sample("STANDARD_TEXT"))
    assert to_api(PostContentDocumentRequest.model_validate({"contentDocument": doc})) == {
        "contentDocument": doc
    }
    put(doc, ("contentModuleList", 0, "standardText", "headline", "value"), "")
    assert errors(PostContentDocumentRequest, {"contentDocument": doc}) == [
        (("contentDocument", "contentModuleList", 0, "standardText", "headline", "value"),
         "string_too_short", "String should have at least 1 character"),
    ]


# --- the module / body-key contract -------------------------------------------------------------


def test_wrong_body_key_names_the_key() -> None:
    module = {"contentModuleType": "STANDARD_TEXT",
              "standardHeaderImageText": sample("STANDARD_HEADER_IMAGE_TEXT")["standardHeaderImageText"]}
    assert errors(ContentModule, module) == [
        (("standardHeaderImageText",), "module_body_key",
         "a STANDARD_TEXT module takes its body under 'standardText', not 'standardHeaderImageText'"),
    ]


def test_second_body_key_is_rejected() -> None:
    module = sample("STANDARD_TEXT")
    module["standardProductDescription"] = sample("STANDARD_PRODUCT_DESCRIPTION")["standardProductDescription"]
    assert errors(ContentModule, module) == [
        (("standardProductDescription",), "module_body_key",
         "a STANDARD_TEXT module takes its body under 'standardText', not 'standardProductDescription'"),
    ]


def test_missing_body_is_rejected() -> None:
    assert errors(ContentModule, {"contentModuleType": "STANDARD_COMPANY_LOGO"}) == [
        ((), "module_body_missing",
         "a STANDARD_COMPANY_LOGO module needs its body under 'standardCompanyLogo'"),
    ]


def test_missing_module_type_is_rejected() -> None:
    module = sample("STANDARD_TEXT")
    del module["contentModuleType"]
    assert errors(ContentModule, module) == [(("contentModuleType",), "missing", "Field required")]


def test_unknown_module_type_lists_the_valid_ones() -> None:
    (loc, kind, msg), = errors(ContentModule, {"contentModuleType": "PREMIUM_TEXT", "standardText": {
        "body": {"textList": [{"value": "x"}]}}})
    assert (loc, kind) == (("contentModuleType",), "enum")
    assert msg.startswith("Input should be 'STANDARD_COMPANY_LOGO', 'STANDARD_COMPARISON_TABLE'")
    assert msg.endswith("'STANDARD_TEXT' or 'STANDARD_THREE_IMAGE_TEXT'")


def test_module_body_property() -> None:
    module = parse_module(sample("STANDARD_TECH_SPECS"))
    assert module.body_key == "standardTechSpecs"
    assert module.body is module.standardTechSpecs


# --- per-module limits ------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]

# (module type, mutation of the module, expected (loc inside module, type, message))
CASES: list[tuple[str, str, Mutation, tuple[tuple[Any, ...], str, str]]] = [
    ("header headline 10001", "STANDARD_HEADER_IMAGE_TEXT",
     lambda m: put(m, ("standardHeaderImageText", "headline", "value"), "x" * 10001),
     (("standardHeaderImageText", "headline", "value"), "string_too_long",
      "String should have at most 10000 characters")),
    ("header unknown key", "STANDARD_HEADER_IMAGE_TEXT",
     lambda m: put(m, ("standardHeaderImageText", "block", "subheadline"), {"value": "x"}),
     (("standardHeaderImageText", "block", "subheadline"), "extra_forbidden",
      "Extra inputs are not permitted")),
    ("logo alt 101", "STANDARD_COMPANY_LOGO",
     lambda m: put(m, ("standardCompanyLogo", "companyLogo", "altText"), "a" * 101),
     (("standardCompanyLogo", "companyLogo", "altText"), "string_too_long",
      "String should have at most 100 characters")),
    ("logo missing", "STANDARD_COMPANY_LOGO",
     lambda m: drop(m, ("standardCompanyLogo", "companyLogo")),
     (("standardCompanyLogo", "companyLogo"), "missing", "Field required")),
    ("logo missing crop", "STANDARD_COMPANY_LOGO",
     lambda m: drop(m, ("standardCompanyLogo", "companyLogo", "imageCropSpecification")),
     (("standardCompanyLogo", "companyLogo", "imageCropSpecification"), "missing", "Field required")),
    ("logo empty upload id", "STANDARD_COMPANY_LOGO",
     lambda m: put(m, ("standardCompanyLogo", "companyLogo", "uploadDestinationId"), ""),
     (("standardCompanyLogo", "companyLogo", "uploadDestinationId"), "string_too_short",
      "String should have at least 1 character")),
    ("overlay bad colour", "STANDARD_IMAGE_TEXT_OVERLAY",
     lambda m: put(m, ("standardImageTextOverlay", "overlayColorType"), "GREY"),
     (("standardImageTextOverlay", "overlayColorType"), "enum", "Input should be 'DARK' or 'LIGHT'")),
    ("overlay colour missing", "STANDARD_IMAGE_TEXT_OVERLAY",
     lambda m: drop(m, ("standardImageTextOverlay", "overlayColorType")),
     (("standardImageTextOverlay", "overlayColorType"), "missing", "Field required")),
    ("four-image empty paragraph", "STANDARD_FOUR_IMAGE_TEXT",
     lambda m: put(m, ("standardFourImageText", "block1", "body", "textList"), []),
     (("standardFourImageText", "block1", "body", "textList"), "too_short",
      "List should have at least 1 item after validation, not 0")),
    ("four-image 101 paragraphs", "STANDARD_FOUR_IMAGE_TEXT",
     lambda m: put(m, ("standardFourImageText", "block2", "body", "textList"), [{"value": "x"}] * 101),
     (("standardFourImageText", "block2", "body", "textList"), "too_long",
      "List should have at most 100 items after validation, not 101")),
    ("quadrant block missing", "STANDARD_FOUR_IMAGE_TEXT_QUADRANT",
     lambda m: drop(m, ("standardFourImageTextQuadrant", "block4")),
     (("standardFourImageTextQuadrant", "block4"), "missing", "Field required")),
    ("three-image width as string", "STANDARD_THREE_IMAGE_TEXT",
     lambda m: put(m, ("standardThreeImageText", "block2", "image", "imageCropSpecification",
                       "size", "width", "value"), "300"),
     (("standardThreeImageText", "block2", "image", "imageCropSpecification", "size", "width",
       "value"), "int_type", "Input should be a valid integer")),
    ("three-image offset missing y", "STANDARD_THREE_IMAGE_TEXT",
     lambda m: drop(m, ("standardThreeImageText", "block3", "image", "imageCropSpecification",
                        "offset", "y")),
     (("standardThreeImageText", "block3", "image", "imageCropSpecification", "offset", "y"),
      "missing", "Field required")),
    ("side image position", "STANDARD_SINGLE_SIDE_IMAGE",
     lambda m: put(m, ("standardSingleSideImage", "imagePositionType"), "CENTER"),
     (("standardSingleSideImage", "imagePositionType"), "enum", "Input should be 'LEFT' or 'RIGHT'")),
    ("side image position missing", "STANDARD_SINGLE_SIDE_IMAGE",
     lambda m: drop(m, ("standardSingleSideImage", "imagePositionType")),
     (("standardSingleSideImage", "imagePositionType"), "missing", "Field required")),
    ("multiple-image unknown caption key", "STANDARD_MULTIPLE_IMAGE_TEXT",
     lambda m: put(m, ("standardMultipleImageText", "blocks", 1, "caption", "style"), "bold"),
     (("standardMultipleImageText", "blocks", 1, "caption", "style"), "extra_forbidden",
      "Extra inputs are not permitted")),
    ("highlights 9 bullets", "STANDARD_SINGLE_IMAGE_HIGHLIGHTS",
     lambda m: put(m, ("standardSingleImageHighlights", "bulletedListBlock", "block", "textList"), items(9)),
     (("standardSingleImageHighlights", "bulletedListBlock", "block", "textList"), "too_long",
      "List should have at most 8 items after validation, not 9")),
    ("highlights bullet position 101", "STANDARD_SINGLE_IMAGE_HIGHLIGHTS",
     lambda m: put(m, ("standardSingleImageHighlights", "bulletedListBlock", "block", "textList", 0,
                       "position"), 101),
     (("standardSingleImageHighlights", "bulletedListBlock", "block", "textList", 0, "position"),
      "less_than_equal", "Input should be less than or equal to 100")),
    ("highlights bullet position 0", "STANDARD_SINGLE_IMAGE_HIGHLIGHTS",
     lambda m: put(m, ("standardSingleImageHighlights", "bulletedListBlock", "block", "textList", 0,
                       "position"), 0),
     (("standardSingleImageHighlights", "bulletedListBlock", "block", "textList", 0, "position"),
      "greater_than_equal", "Input should be greater than or equal to 1")),
    ("specs duplicate bullet positions", "STANDARD_SINGLE_IMAGE_SPECS_DETAIL",
     lambda m: put(m, ("standardSingleImageSpecsDetail", "specificationListBlock", "block", "textList",
                       1, "position"), 1),
     (("standardSingleImageSpecsDetail", "specificationListBlock", "block", "textList"),
      "unique_position", "position 1 is used more than once")),
    ("sidebar list without textList", "STANDARD_IMAGE_SIDEBAR",
     lambda m: drop(m, ("standardImageSidebar", "descriptionListBlock", "textList")),
     (("standardImageSidebar", "descriptionListBlock", "textList"), "missing", "Field required")),
    ("sidebar 9 sidebar bullets", "STANDARD_IMAGE_SIDEBAR",
     lambda m: put(m, ("standardImageSidebar", "sidebarListBlock", "textList"), items(9)),
     (("standardImageSidebar", "sidebarListBlock", "textList"), "too_long",
      "List should have at most 8 items after validation, not 9")),
    ("comparison 7 columns", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns"),
                   [{"position": (i % 6) + 1} for i in range(7)]),
     (("standardComparisonTable", "productColumns"), "too_long",
      "List should have at most 6 items after validation, not 7")),
    ("comparison position 7", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 2, "position"), 7),
     (("standardComparisonTable", "productColumns", 2, "position"), "less_than_equal",
      "Input should be less than or equal to 6")),
    ("comparison position missing", "STANDARD_COMPARISON_TABLE",
     lambda m: drop(m, ("standardComparisonTable", "productColumns", 0, "position")),
     (("standardComparisonTable", "productColumns", 0, "position"), "missing", "Field required")),
    ("comparison duplicate column positions", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 2, "position"), 1),
     (("standardComparisonTable", "productColumns"), "unique_position",
      "position 1 is used more than once")),
    ("comparison title 81", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 0, "title"), "t" * 81),
     (("standardComparisonTable", "productColumns", 0, "title"), "string_too_long",
      "String should have at most 80 characters")),
    ("comparison asin 9", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 0, "asin"), "B0NPRIDGE"),
     (("standardComparisonTable", "productColumns", 0, "asin"), "string_too_short",
      "String should have at least 10 characters")),
    ("comparison highlight yes", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 0, "highlight"), "yes"),
     (("standardComparisonTable", "productColumns", 0, "highlight"), "bool_type",
      "Input should be a valid boolean")),
    ("comparison 11 metrics", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 0, "metrics"), plain(11)),
     (("standardComparisonTable", "productColumns", 0, "metrics"), "too_long",
      "List should have at most 10 items after validation, not 11")),
    ("comparison metric 251", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "productColumns", 1, "metrics", 0, "value"), "m" * 251),
     (("standardComparisonTable", "productColumns", 1, "metrics", 0, "value"), "string_too_long",
      "String should have at most 250 characters")),
    ("comparison 11 row labels", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "metricRowLabels"), plain(11)),
     (("standardComparisonTable", "metricRowLabels"), "too_long",
      "List should have at most 10 items after validation, not 11")),
    ("comparison empty row label", "STANDARD_COMPARISON_TABLE",
     lambda m: put(m, ("standardComparisonTable", "metricRowLabels", 0, "value"), ""),
     (("standardComparisonTable", "metricRowLabels", 0, "value"), "string_too_short",
      "String should have at least 1 character")),
    ("tech specs tableCount 3", "STANDARD_TECH_SPECS",
     lambda m: put(m, ("standardTechSpecs", "tableCount"), 3),
     (("standardTechSpecs", "tableCount"), "less_than_equal", "Input should be less than or equal to 2")),
    ("tech specs tableCount 0", "STANDARD_TECH_SPECS",
     lambda m: put(m, ("standardTechSpecs", "tableCount"), 0),
     (("standardTechSpecs", "tableCount"), "greater_than_equal",
      "Input should be greater than or equal to 1")),
    ("tech specs 3 specs", "STANDARD_TECH_SPECS",
     lambda m: put(m, ("standardTechSpecs", "specificationList"),
                   m["standardTechSpecs"]["specificationList"][:3]),
     (("standardTechSpecs", "specificationList"), "too_short",
      "List should have at least 4 items after validation, not 3")),
    ("tech specs 17 specs", "STANDARD_TECH_SPECS",
     lambda m: put(m, ("standardTechSpecs", "specificationList"),
                   m["standardTechSpecs"]["specificationList"][:1] * 17),
     (("standardTechSpecs", "specificationList"), "too_long",
      "List should have at most 16 items after validation, not 17")),
    ("tech specs missing list", "STANDARD_TECH_SPECS",
     lambda m: drop(m, ("standardTechSpecs", "specificationList")),
     (("standardTechSpecs", "specificationList"), "missing", "Field required")),
    ("text missing body", "STANDARD_TEXT",
     lambda m: drop(m, ("standardText", "body")),
     (("standardText", "body"), "missing", "Field required")),
    ("text empty headline", "STANDARD_TEXT",
     lambda m: put(m, ("standardText", "headline", "value"), ""),
     (("standardText", "headline", "value"), "string_too_short",
      "String should have at least 1 character")),
    ("text number as headline", "STANDARD_TEXT",
     lambda m: put(m, ("standardText", "headline", "value"), 2024),
     (("standardText", "headline", "value"), "string_type", "Input should be a valid string")),
    ("text bad decorator", "STANDARD_TEXT",
     lambda m: put(m, ("standardText", "body", "textList", 0, "decoratorSet", 0, "type"), "STYLE_STRIKE"),
     (("standardText", "body", "textList", 0, "decoratorSet", 0, "type"), "enum",
      "Input should be 'LIST_ITEM', 'LIST_ORDERED', 'LIST_UNORDERED', 'STYLE_BOLD', "
      "'STYLE_ITALIC', 'STYLE_LINEBREAK', 'STYLE_PARAGRAPH' or 'STYLE_UNDERLINE'")),
    ("text decorator offset 10001", "STANDARD_TEXT",
     lambda m: put(m, ("standardText", "body", "textList", 0, "decoratorSet", 0, "offset"), 10001),
     (("standardText", "body", "textList", 0, "decoratorSet", 0, "offset"), "less_than_equal",
      "Input should be less than or equal to 10000")),
    ("text decorator depth 101", "STANDARD_TEXT",
     lambda m: put(m, ("standardText", "body", "textList", 0, "decoratorSet", 0, "depth"), 101),
     (("standardText", "body", "textList", 0, "decoratorSet", 0, "depth"), "less_than_equal",
      "Input should be less than or equal to 100")),
    ("text duplicate decorators", "STANDARD_TEXT",
     lambda m: put(m, ("standardText", "body", "textList", 0, "decoratorSet"),
                   [{"type": "STYLE_BOLD", "offset": 0, "length": 3}] * 2),
     (("standardText", "body", "textList", 0, "decoratorSet"), "unique_items",
      "decoratorSet must not repeat an item")),
    ("description missing body", "STANDARD_PRODUCT_DESCRIPTION",
     lambda m: drop(m, ("standardProductDescription", "body")),
     (("standardProductDescription", "body"), "missing", "Field required")),
    ("description paragraph not a list", "STANDARD_PRODUCT_DESCRIPTION",
     lambda m: put(m, ("standardProductDescription", "body", "textList"), "plain words"),
     (("standardProductDescription", "body", "textList"), "list_type", "Input should be a valid list")),
]


@pytest.mark.parametrize(("module_type", "mutate", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_module_limit_rejected_at_api_path(
    module_type: str, mutate: Mutation, expected: tuple[tuple[Any, ...], str, str]
) -> None:
    module = sample(module_type)
    mutate(module)
    assert errors(ContentModule, module) == [expected]
    # Inside a document the loc is the API path from the document root.
    loc, kind, msg = expected
    assert errors(ContentDocument, document(sample("STANDARD_TEXT"), module)) == [
        (("contentModuleList", 1, *loc), kind, msg)
    ]


def test_every_module_type_has_a_rejection_case() -> None:
    assert sorted({c[1] for c in CASES}) == TYPES


# --- exact boundaries ---------------------------------------------------------------------------

BOUNDARIES: list[tuple[str, tuple[Any, ...], int]] = [
    ("STANDARD_TEXT", ("standardText", "headline", "value"), 10000),
    ("STANDARD_COMPANY_LOGO", ("standardCompanyLogo", "companyLogo", "altText"), 100),
    ("STANDARD_COMPARISON_TABLE", ("standardComparisonTable", "productColumns", 0, "title"), 80),
    ("STANDARD_COMPARISON_TABLE", ("standardComparisonTable", "metricRowLabels", 0, "value"), 250),
]


@pytest.mark.parametrize(("module_type", "path", "limit"), BOUNDARIES)
def test_string_at_limit_passes_and_one_more_fails(
    module_type: str, path: tuple[Any, ...], limit: int
) -> None:
    module = sample(module_type)
    put(module, path, "é" * limit)  # characters, not bytes
    assert get(to_api(parse_module(module)), path) == "é" * limit
    put(module, path, "é" * (limit + 1))
    assert errors(ContentModule, module) == [
        (path, "string_too_long", f"String should have at most {limit} characters")
    ]


def test_list_limits_at_exact_maximum_pass() -> None:
    module = sample("STANDARD_TECH_SPECS")
    specs = module["standardTechSpecs"]["specificationList"]
    put(module, ("standardTechSpecs", "specificationList"), (specs * 4)[:16])
    put(module, ("standardTechSpecs", "tableCount"), 2)
    parse_module(module)
    table = sample("STANDARD_COMPARISON_TABLE")
    put(table, ("standardComparisonTable", "productColumns"), [{"position": p} for p in range(1, 7)])
    put(table, ("standardComparisonTable", "metricRowLabels"), plain(10))
    assert to_api(parse_module(table))["standardComparisonTable"]["productColumns"][5] == {"position": 6}
    bullets = sample("STANDARD_SINGLE_IMAGE_HIGHLIGHTS")
    put(bullets, ("standardSingleImageHighlights", "bulletedListBlock", "block", "textList"), items(8))
    parse_module(bullets)


def test_empty_text_list_is_allowed_where_model_says_min_zero() -> None:
    module = sample("STANDARD_IMAGE_SIDEBAR")
    put(module, ("standardImageSidebar", "sidebarListBlock", "textList"), [])
    assert to_api(parse_module(module))["standardImageSidebar"]["sidebarListBlock"] == {"textList": []}


# --- document level -------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "kind", "msg"), [
    ("en_US", "string_pattern_mismatch", "String should match pattern '^[a-z]{2,}-[A-Z0-9]{2,}$'"),
    ("EN-us", "string_pattern_mismatch", "String should match pattern '^[a-z]{2,}-[A-Z0-9]{2,}$'"),
    ("de-DE-1996", "string_pattern_mismatch", "String should match pattern '^[a-z]{2,}-[A-Z0-9]{2,}$'"),
    ("en", "string_too_short", "String should have at least 5 characters"),
])
def test_bad_locale(locale: str, kind: str, msg: str) -> None:
    assert errors(ContentDocument, document(locale=locale)) == [(("locale",), kind, msg)]


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "es-419", "fil-PH"])
def test_good_locale(locale: str) -> None:
    assert parse_document(document(locale=locale)).locale == locale


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"name": "n" * 101}, (("name",), "string_too_long", "String should have at most 100 characters")),
    ({"name": ""}, (("name",), "string_too_short", "String should have at least 1 character")),
    ({"contentType": "PREMIUM"}, (("contentType",), "enum", "Input should be 'EBC' or 'EMC'")),
    ({"contentSubType": ""}, (("contentSubType",), "string_too_short",
                              "String should have at least 1 character")),
    ({"contentModuleList": []}, (("contentModuleList",), "too_short",
                                 "List should have at least 1 item after validation, not 0")),
    ({"contentModuleList": [SAMPLES["STANDARD_TEXT"]] * 101},
     (("contentModuleList",), "too_long", "List should have at most 100 items after validation, not 101")),
    ({"moduleList": []}, (("moduleList",), "extra_forbidden", "Extra inputs are not permitted")),
])
def test_document_limits(overrides: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert errors(ContentDocument, document(**overrides)) == [expected]


def test_document_name_at_100_and_subtype_round_trip() -> None:
    doc = document(name="n" * 100, contentSubType="SPECIAL")
    assert to_api(parse_document(doc)) == doc
    assert list(to_api(parse_document(doc))) == [
        "name", "contentType", "contentSubType", "locale", "contentModuleList"
    ]


def test_missing_required_document_fields() -> None:
    assert errors(ContentDocument, {}) == [
        ((field,), "missing", "Field required")
        for field in ("name", "contentType", "locale", "contentModuleList")
    ]


def test_asin_relations_request_rejects_repeats() -> None:
    assert errors(PostContentDocumentAsinRelationsRequest, {"asinSet": ["B0NPRIDGE1", "B0NPRIDGE1"]}) == [
        (("asinSet",), "unique_items", "asinSet must not repeat an item")
    ]


# --- response side is lenient -------------------------------------------------------------


def test_response_models_accept_real_world_data() -> None:
    long_name = "Spring 2021 launch – " + "x" * 120
    record = ContentRecord.model_validate({
        "contentReferenceKey": "ck-1",
        "contentMetadata": {"name": long_name, "marketplaceId": "ATVPDKIKX0DER", "status": "APPROVED",
                            "badgeSet": ["STANDARD"], "updateTime": "2024-03-01T10:00:00Z",
                            "newField": 1},
        "contentDocument": {"name": long_name, "contentModuleList": [
            {"contentModuleType": "STANDARD_TEXT", "standardText": {"body": {"textList": [{"value": ""}]}}}]},
    })
    assert record.contentMetadata is not None
    assert record.contentMetadata.status is ContentStatus.APPROVED
    assert record.contentDocument is not None and record.contentDocument["name"] == long_name
    assert to_api(record)["contentMetadata"]["updateTime"] == "2024-03-01T10:00:00Z"
    meta = ContentMetadataRecord.model_validate(
        {"contentReferenceKey": "ck", "contentMetadata": to_api(record.contentMetadata)})
    assert meta.contentMetadata.name == long_name
    assert Error.model_validate({"code": "ASIN_FAILED_VALIDATION", "message": "m", "details": ""}).details == ""
    assert AsinMetadata.model_validate({"asin": "B0NPRIDGE1", "title": "t" * 300}).badgeSet is None
    assert PublishRecord.model_validate({"marketplaceId": "ATVPDKIKX0DER", "locale": "en_US", "asin": "B0NPRIDGE1",
                                         "contentType": "EBC", "contentReferenceKey": "ck"}).locale == "en_US"


def test_content_metadata_status_is_still_an_enum() -> None:
    assert errors(ContentMetadata, {"name": "n", "marketplaceId": "m", "status": "LIVE", "badgeSet": [],
                                    "updateTime": "2024-03-01T10:00:00Z"}) == [
        (("status",), "enum", "Input should be 'APPROVED', 'DRAFT', 'REJECTED' or 'SUBMITTED'")
    ]


# --- limits.py ------------------------------------------------------------------------------


def test_body_key_tables_match_the_model() -> None:
    assert sorted(MODULE_BODY_KEY) == TYPES
    assert {v: k for k, v in BODY_KEY_MODULE.items()} == MODULE_BODY_KEY
    assert set(MODULE_BODY_MODELS) == set(BODY_KEY_MODULE)
    assert [f for f in ContentModule.model_fields if f != "contentModuleType"] == list(MODULE_BODY_MODELS)
    assert MODULE_BODY_KEY["STANDARD_HEADER_IMAGE_TEXT"] == "standardHeaderImageText"
    assert BODY_KEY_MODULE["standardFourImageTextQuadrant"] == "STANDARD_FOUR_IMAGE_TEXT_QUADRANT"


def test_account_limits() -> None:
    assert limits.MAX_MODULES == {"seller": 7, "vendor": 5}
    assert limits.MAX_IMAGE_BYTES == 3_145_728


@pytest.mark.parametrize(("module_type", "path", "size"), [
    ("STANDARD_HEADER_IMAGE_TEXT", ("standardHeaderImageText", "block", "image"), (970, 600)),
    ("STANDARD_HEADER_IMAGE_TEXT", ("block", "image"), (970, 600)),
    ("STANDARD_IMAGE_SIDEBAR", ("standardImageSidebar", "imageCaptionBlock", "image"), (300, 400)),
    ("STANDARD_IMAGE_SIDEBAR", ("standardImageSidebar", "sidebarImageTextBlock", "image"), (300, 175)),
    ("STANDARD_FOUR_IMAGE_TEXT", ("standardFourImageText", "block3", "image"), (220, 200)),
    ("STANDARD_FOUR_IMAGE_TEXT_QUADRANT", ("block1", "image"), (135, 135)),
    ("STANDARD_COMPARISON_TABLE", ("standardComparisonTable", "productColumns", 5, "image"), (150, 300)),
    ("STANDARD_COMPANY_LOGO", ("standardCompanyLogo", "companyLogo"), (600, 180)),
    ("STANDARD_IMAGE_TEXT_OVERLAY", ("block", "image"), (970, 300)),
    ("STANDARD_MULTIPLE_IMAGE_TEXT", ("blocks", 2, "block", "image"), (300, 300)),
    ("STANDARD_SINGLE_IMAGE_SPECS_DETAIL", ("image",), (300, 300)),
    ("STANDARD_COMPARISON_TABLE", ("standardComparisonTable", "productColumns", "x", "image"), None),
    ("STANDARD_TEXT", ("standardText", "body"), None),
    ("STANDARD_HEADER_IMAGE_TEXT", ("headline",), None),
])
def test_min_image_size(module_type: str, path: tuple[Any, ...], size: tuple[int, int] | None) -> None:
    assert min_image_size(module_type, path) == size


@pytest.mark.parametrize(("module_type", "path", "limit"), [
    ("STANDARD_IMAGE_TEXT_OVERLAY", ("standardImageTextOverlay", "block", "headline"), 70),
    ("STANDARD_IMAGE_TEXT_OVERLAY", ("block", "body"), 300),
    ("STANDARD_SINGLE_IMAGE_HIGHLIGHTS", ("textBlock2", "body"), 400),
    ("STANDARD_SINGLE_IMAGE_HIGHLIGHTS", ("bulletedListBlock", "block", "textList", 7, "text"), 100),
    ("STANDARD_TECH_SPECS", ("standardTechSpecs", "specificationList", 3, "label"), 30),
    ("STANDARD_COMPARISON_TABLE", ("metricRowLabels", 0, "value"), 100),
    ("STANDARD_TEXT", ("standardText", "body"), 5000),
    ("STANDARD_PRODUCT_DESCRIPTION", ("body",), 6000),
    ("STANDARD_COMPARISON_TABLE", ("productColumns", 0, "metrics", 0, "value"), None),  # model's 250
    ("STANDARD_COMPANY_LOGO", ("companyLogo", "altText"), None),  # model's 100
])
def test_text_limit(module_type: str, path: tuple[Any, ...], limit: int | None) -> None:
    assert text_limit(module_type, path) == limit


def _resolve(model: type[BaseModel], path: tuple[Any, ...]) -> Any:
    """The annotation at `path` inside `model`, walking lists at '*' (checks the tables' paths)."""
    annotation: Any = model
    for part in path:
        while typing.get_origin(annotation) is not None and typing.get_origin(annotation) is not list:
            # Optional[...] / Annotated[...]: take the non-None member
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        if part == "*":
            assert typing.get_origin(annotation) is list, path
            annotation = typing.get_args(annotation)[0]
        else:
            assert isinstance(annotation, type) and issubclass(annotation, BaseModel), path
            annotation = annotation.model_fields[part].annotation
    while typing.get_origin(annotation) is not None:
        annotation = [a for a in typing.get_args(annotation) if a is not type(None)][0]
    return annotation


@pytest.mark.parametrize("module_type", TYPES)
def test_limit_tables_name_real_fields(module_type: str) -> None:
    body = MODULE_BODY_MODELS[MODULE_BODY_KEY[module_type]]
    for pattern, _ in limits.image_paths(module_type):
        assert _resolve(body, pattern) is ImageComponent, pattern
    for pattern, limit in limits.text_limits(module_type):
        kind = _resolve(body, pattern)
        assert kind in (TextComponent, ParagraphComponent, str), pattern
        if kind is TextComponent:
            assert limit < 10000, f"{pattern} duplicates the model's own limit"


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Any:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


@pytest.mark.parametrize("module_type", TYPES)
def test_samples_meet_the_stricter_limits(module_type: str) -> None:
    module = sample(module_type)
    body_key = MODULE_BODY_KEY[module_type]
    checked = 0
    for path, node in _walk(module[body_key], (body_key,)):
        size = min_image_size(module_type, path)
        if size is not None:
            crop = node["imageCropSpecification"]["size"]
            assert (crop["width"]["value"], crop["height"]["value"]) == size
            checked += 1
        limit = text_limit(module_type, path)
        if limit is not None:
            text = node if isinstance(node, str) else node.get("value") or "".join(
                t["value"] for t in node["textList"])
            assert len(text) <= limit, path
            checked += 1
    assert checked > 0 or module_type == "STANDARD_PRODUCT_DESCRIPTION"


def test_samples_accept_an_id_function() -> None:
    seen: list[tuple[int, int]] = []

    def upload(w: int, h: int) -> str:
        seen.append((w, h))
        return f"sc/{w}x{h}.png"

    modules = sample_modules(upload)
    logo = next(m for m in modules if m["contentModuleType"] == "STANDARD_COMPANY_LOGO")
    assert logo["standardCompanyLogo"]["companyLogo"]["uploadDestinationId"] == "sc/600x180.png"
    assert {(970, 600), (970, 300), (600, 180), (300, 400), (300, 175), (150, 300), (135, 135),
            (220, 200), (300, 300)} == set(seen)


@pytest.mark.parametrize(("size", "module_type"), [
    ((970, 600), "STANDARD_HEADER_IMAGE_TEXT"),
    ((1940, 1200), "STANDARD_HEADER_IMAGE_TEXT"),
    ((970, 300), "STANDARD_IMAGE_TEXT_OVERLAY"),
    ((1464, 600), "STANDARD_IMAGE_TEXT_OVERLAY"),
    ((300, 300), "STANDARD_SINGLE_SIDE_IMAGE"),
    ((1000, 1000), "STANDARD_SINGLE_SIDE_IMAGE"),
    ((600, 800), "STANDARD_SINGLE_SIDE_IMAGE"),
    ((900, 600), "STANDARD_SINGLE_SIDE_IMAGE"),  # too narrow for the 970 px header
    ((200, 124), "STANDARD_HEADER_IMAGE_TEXT"),  # fits nothing: nearest shape wins
])
def test_image_led_module_for(size: tuple[int, int], module_type: str) -> None:
    assert image_led_module_for(*size) == module_type


def test_image_led_module_rejects_empty_image() -> None:
    with pytest.raises(ValueError, match="image size must be positive, got 0x300"):
        image_led_module_for(0, 300)


def test_text_overruns_reports_exact_limit_plus_one() -> None:
    overlay = sample("STANDARD_IMAGE_TEXT_OVERLAY")
    put(overlay, ("standardImageTextOverlay", "block", "headline", "value"), "h" * 70)
    put(overlay, ("standardImageTextOverlay", "block", "body"),
        {"textList": [{"value": "a" * 150}, {"value": "b" * 150}]})
    assert limits.text_overruns(overlay) == []
    put(overlay, ("standardImageTextOverlay", "block", "headline", "value"), "h" * 71)
    put(overlay, ("standardImageTextOverlay", "block", "body", "textList", 1, "value"), "b" * 151)
    assert limits.text_overruns(overlay) == [
        (("standardImageTextOverlay", "block", "headline"), 70, 71),
        (("standardImageTextOverlay", "block", "body"), 300, 301),
    ]


def test_text_overruns_bullets_and_plain_strings() -> None:
    highlights = sample("STANDARD_SINGLE_IMAGE_HIGHLIGHTS")
    put(highlights, ("standardSingleImageHighlights", "bulletedListBlock", "block", "textList", 2,
                     "text", "value"), "x" * 101)
    table = sample("STANDARD_COMPARISON_TABLE")
    put(table, ("standardComparisonTable", "metricRowLabels", 1, "value"), "l" * 101)
    assert limits.text_overruns(highlights) == [
        (("standardSingleImageHighlights", "bulletedListBlock", "block", "textList", 2, "text"), 100, 101)
    ]
    assert limits.text_overruns(table) == [
        (("standardComparisonTable", "metricRowLabels", 1, "value"), 100, 101)
    ]
    assert limits.text_overruns({"contentModuleType": "NOPE"}) == []


def test_image_minimums_lists_every_image_with_its_size() -> None:
    sidebar = sample("STANDARD_IMAGE_SIDEBAR")
    assert [(path, size) for path, size, _ in limits.image_minimums(sidebar)] == [
        (("standardImageSidebar", "imageCaptionBlock", "image"), (300, 400)),
        (("standardImageSidebar", "sidebarImageTextBlock", "image"), (300, 175)),
    ]
    _, _, node = limits.image_minimums(sample("STANDARD_COMPANY_LOGO"))[0]
    assert node["altText"] == "Northpeak logo"
    assert limits.image_minimums(sample("STANDARD_TEXT")) == []


def test_text_length_counts_characters() -> None:
    assert limits.text_length("Größe") == 5
    assert limits.text_length({"value": "abc", "decoratorSet": []}) == 3
    assert limits.text_length({"textList": [{"value": "ab"}, {"value": "cde"}]}) == 5
    assert limits.text_length(None) == 0


def test_file_model_module_types_are_the_api_enum() -> None:
    from typing import get_args

    from aplusctl.content.file_model import ModuleTypeName
    from aplusctl.content.models import ContentModuleType

    assert set(get_args(ModuleTypeName)) == {t.value for t in ContentModuleType}
