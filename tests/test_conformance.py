"""Our models serialise to exactly what the official SP-API model accepts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from aplusctl.content.models import parse_document, parse_module, to_api
from aplusctl.content.samples import sample_modules
from conformance import conformance_errors, require_model

SAMPLES = sample_modules(lambda w, h: f"sc/sample-{w}x{h}.png")


def _document(modules: list[dict[str, Any]], content_type: str = "EBC") -> dict[str, Any]:
    return {
        "name": "Northpeak Ridge",
        "contentType": content_type,
        "locale": "en-US",
        "contentModuleList": modules,
    }


@pytest.fixture(autouse=True)
def _model_present() -> Path:
    return require_model()


@pytest.mark.parametrize("module", SAMPLES, ids=[m["contentModuleType"] for m in SAMPLES])
def test_each_sample_module_conforms(module: dict[str, Any]) -> None:
    serialised = to_api(parse_document(_document([module])))
    assert conformance_errors(serialised, strict=True) == []


def test_all_fifteen_in_one_document_conform() -> None:
    doc = to_api(parse_document(_document(SAMPLES, "EMC")))
    assert len(doc["contentModuleList"]) == 15
    assert conformance_errors(doc, strict=True) == []
    assert conformance_errors({"contentDocument": doc}, strict=True) == []


def test_module_built_from_model_defaults_conforms() -> None:
    """A module with only required fields set must not serialise nulls the schema refuses."""
    minimal = {
        "contentModuleType": "STANDARD_TECH_SPECS",
        "standardTechSpecs": {"specificationList": [{}, {}, {}, {}]},
    }
    serialised = to_api(parse_module(minimal))
    assert serialised == minimal
    assert conformance_errors(_document([serialised]), strict=True) == []


def test_referee_catches_what_models_catch() -> None:
    """Sanity check of the referee itself: the checker is not vacuous."""
    doc = _document(copy.deepcopy(SAMPLES[:1]))
    doc["locale"] = "en_US"
    doc["contentModuleList"][0]["standardHeaderImageText"]["headline"]["value"] = "x" * 10001
    doc["contentModuleList"][0]["standardHeaderImageText"]["typo"] = 1
    assert conformance_errors(doc, strict=True) == [
        f"contentModuleList[0].standardHeaderImageText.headline.value: '{'x' * 10001}' is too long",
        "contentModuleList[0].standardHeaderImageText: Additional properties are not allowed "
        "('typo' was unexpected)",
        "locale: 'en_US' does not match '^[a-z]{2,}-[A-Z0-9]{2,}$'",
    ]
    # The official model alone says nothing about unknown keys or the locale pattern.
    assert conformance_errors(doc) == [
        f"contentModuleList[0].standardHeaderImageText.headline.value: '{'x' * 10001}' is too long",
    ]


def test_null_is_not_conformant_so_to_api_must_drop_it() -> None:
    doc = _document([{"contentModuleType": "STANDARD_TEXT",
                      "standardText": {"headline": None, "body": {"textList": [{"value": "x"}]}}}])
    assert conformance_errors(doc) == [
        "contentModuleList[0].standardText.headline: None is not of type 'object'"
    ]
    assert conformance_errors(to_api(parse_document(doc))) == []


def test_missing_reference_skips_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance

    monkeypatch.setattr(conformance, "MODEL_PATH", Path("/nonexistent/aplusContent.json"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        conformance.require_model()
    assert str(skipped.value) == (
        "../shared/reference not present: /nonexistent/aplusContent.json is missing"
    )


def test_every_example_document_conforms() -> None:
    """Each (document, marketplace) of examples/content, as it would be sent, obeys the model."""
    loader = pytest.importorskip("aplusctl.content.loader")
    from aplusctl.config import load_config

    root = Path(__file__).resolve().parents[1] / "examples/content"
    if not (root / "aplusctl.yaml").is_file():
        pytest.skip(f"no example repo yet: {root / 'aplusctl.yaml'} is missing")
    result = loader.load_repo(root, load_config(root))
    assert result.documents, "examples/content declares no document"
    problems = {
        f"{doc.path} [{marketplace}]": errors
        for doc in result.documents
        if doc.modules  # a `generate:` document has its modules only once Pixii has run
        for marketplace in doc.marketplaces
        if (errors := conformance_errors(doc.body(marketplace, lambda path: None), strict=True))
    }
    assert problems == {}
