"""Sugar expansion and the per-module limits, for every module type."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from aplusctl.config import RepoConfig
from aplusctl.content import limits
from aplusctl.content.expand import SHAPES, expand_module, to_source
from aplusctl.content.images import ImageCache, LocalImage
from aplusctl.content.loader import DesiredDocument
from aplusctl.content.rules import RULES, RuleContext, run_rules
from aplusctl.content.yamlpos import format_path
from aplusctl.content.samples import sample_modules
from conformance import MODEL_PATH, conformance_errors, require_model

MODULE_TYPES = list(limits.MODULE_BODY_KEY)
PX = "pixels"


def crop(width: int, height: int) -> dict[str, Any]:
    return {"size": {"width": {"value": width, "units": PX}, "height": {"value": height, "units": PX}}}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    Image.new("RGB", (970, 600), (10, 20, 30)).save(tmp_path / "assets" / "hero.png")
    Image.new("RGB", (320, 310), (10, 20, 30)).save(tmp_path / "assets" / "side.jpg")
    return tmp_path


def expand(raw: Any, root: Path) -> Any:
    out = expand_module(raw, ("modules", 0), ImageCache(root))
    assert out.problems == []
    return out


# --- the walk table agrees with Amazon's model ---------------------------------------------------


def _kind_of(prop: dict[str, Any]) -> Any:
    ref = prop.get("$ref", "").rsplit("/", 1)[-1]
    if prop.get("type") == "array":
        item = _kind_of(prop["items"])
        return ("list", "text" if item == "text" else item)
    return {"TextComponent": "text", "ParagraphComponent": "para", "ImageComponent": "image"}.get(ref, ref or "scalar")


def test_shapes_match_the_official_model() -> None:
    require_model()
    definitions = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["definitions"]
    scalars = {"Asin", "ColorType", "PositionType", "DecoratorType"}
    for name, shape in SHAPES.items():
        props = definitions[name]["properties"]
        assert set(shape) == set(props), name
        for key, prop in props.items():
            want = _kind_of(prop)
            want = "scalar" if want in scalars else want
            if name in ("TextComponent", "ParagraphComponent", "ImageComponent") or (name == "PlainTextItem"):
                continue
            assert shape[key] == want, f"{name}.{key}"
    module_props = definitions["ContentModule"]["properties"]
    assert set(module_props) - {"contentModuleType"} == set(limits.BODY_KEY_MODULE)


# --- full API shape passes through unchanged -------------------------------------------------------


SAMPLES = sample_modules("sc/abc.png")


@pytest.mark.parametrize("module", SAMPLES, ids=[m["contentModuleType"] for m in SAMPLES])
def test_full_api_shape_is_unchanged(module: dict[str, Any], tmp_path: Path) -> None:
    out = expand(copy.deepcopy(module), tmp_path)
    assert out.module == module
    assert out.module_type == module["contentModuleType"]
    assert out.origin == {}


# --- each sugar --------------------------------------------------------------------------------------


def test_text_and_paragraph_strings(repo: Path) -> None:
    out = expand({"standardText": {"headline": "Sharp", "body": "Keep it dry."}}, repo)
    assert out.module == {
        "contentModuleType": "STANDARD_TEXT",
        "standardText": {"headline": {"value": "Sharp"}, "body": {"textList": [{"value": "Keep it dry."}]}},
    }
    # an API path inside a sugar maps back to the string the user wrote
    src = ("modules", 0, "standardText", "body")
    assert to_source(src + ("textList", 0, "value"), out.origin) == src
    assert to_source(("modules", 0, "contentModuleType"), out.origin) == ("modules", 0)


def test_strings_inside_a_full_paragraph_and_text_items(repo: Path) -> None:
    raw = {
        "standardSingleImageHighlights": {
            "textBlock1": {"body": {"textList": ["One", {"value": "Two", "decoratorSet": [{"type": "STYLE_BOLD", "offset": 0, "length": 3}]}]}},
            "bulletedListBlock": {"block": {"textList": [{"position": 1, "text": "Bullet"}]}},
        }
    }
    body = expand(raw, repo).module["standardSingleImageHighlights"]
    assert body["textBlock1"]["body"]["textList"] == [
        {"value": "One"}, {"value": "Two", "decoratorSet": [{"type": "STYLE_BOLD", "offset": 0, "length": 3}]},
    ]
    assert body["bulletedListBlock"]["block"]["textList"] == [{"position": 1, "text": {"value": "Bullet"}}]


def test_local_image_crop_defaults_to_the_real_size(repo: Path) -> None:
    out = expand({"standardCompanyLogo": {"companyLogo": {"src": "assets/hero.png", "alt": "Logo"}}}, repo)
    assert out.module["standardCompanyLogo"]["companyLogo"] == {
        "uploadDestinationId": "local:assets/hero.png", "imageCropSpecification": crop(970, 600), "altText": "Logo",
    }
    image = out.images["assets/hero.png"]
    assert (image.width, image.height, image.mime) == (970, 600, "image/png")


def test_local_image_with_a_crop(repo: Path) -> None:
    raw = {"src": "./assets/side.jpg", "alt": "Side", "crop": {"width": 300, "height": 300, "x": 20, "y": 10}}
    out = expand({"standardSingleSideImage": {"imagePositionType": "LEFT", "block": {"image": raw}}}, repo)
    image = out.module["standardSingleSideImage"]["block"]["image"]
    assert image == {
        "uploadDestinationId": "local:assets/side.jpg",
        "imageCropSpecification": {**crop(300, 300), "offset": {"x": {"value": 20, "units": PX}, "y": {"value": 10, "units": PX}}},
        "altText": "Side",
    }


def test_uploaded_image_with_size(repo: Path) -> None:
    raw = {"upload_destination_id": "sc/5f1e.png", "alt": "Uploaded", "size": {"width": 970, "height": 600}}
    out = expand({"standardHeaderImageText": {"block": {"image": raw}}}, repo)
    assert out.module["standardHeaderImageText"]["block"]["image"] == {
        "uploadDestinationId": "sc/5f1e.png", "imageCropSpecification": crop(970, 600), "altText": "Uploaded",
    }
    assert out.images == {}


def test_full_image_component_with_a_local_placeholder(repo: Path) -> None:
    image = {"uploadDestinationId": "local:assets/hero.png", "imageCropSpecification": crop(970, 600), "altText": "Hero"}
    out = expand({"standardHeaderImageText": {"block": {"image": copy.deepcopy(image)}}}, repo)
    assert out.module["standardHeaderImageText"]["block"]["image"] == image
    assert list(out.images) == ["assets/hero.png"]


def test_explicit_module_type_is_kept(repo: Path) -> None:
    out = expand({"contentModuleType": "STANDARD_TEXT", "standardText": {"body": "x"}}, repo)
    assert list(out.module) == ["contentModuleType", "standardText"]


def test_examples_expand_to_conforming_documents() -> None:
    require_model()
    from aplusctl.config import load_config
    from aplusctl.content.loader import load_repo

    root = Path(__file__).parents[1] / "examples" / "content"
    result = load_repo(root, load_config(root))
    assert result.diagnostics == []
    types = {m["contentModuleType"] for d in result.documents for m in d.modules}
    assert types == set(MODULE_TYPES)
    for doc in result.documents:
        if not doc.modules:  # a `generate:` document has its modules only once Pixii has run
            assert doc.generate is not None
            continue
        for marketplace_id in doc.marketplaces:
            assert conformance_errors(doc.body(marketplace_id)) == []


# --- limits of every module type ---------------------------------------------------------------------


def _doc(modules: list[dict[str, Any]], images: dict[str, LocalImage] | None = None) -> DesiredDocument:
    return DesiredDocument(
        name="Limits", path="content/x.yaml", marketplaces=("ATVPDKIKX0DER",), locales={"ATVPDKIKX0DER": "en-US"},
        asins=(), previous_names=(), content_reference_key=None, submit=True, suspended=False, generate=None,
        content_type="EBC", modules=modules, images=images or {},
    )


def _ctx(raw: dict[str, Any] | None = None, account_type: str = "seller") -> RuleContext:
    return RuleContext(
        config=RepoConfig(account_type=account_type), path="content/x.yaml", raw=raw or {}, shared={},  # type: ignore[arg-type]
        locate=lambda path: (path, 1, 1), locate_file=lambda path: (1, 1),
    )


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _text_cases() -> list[tuple[str, tuple[Any, ...], int]]:
    return [(t, p, n) for t in MODULE_TYPES for p, n in limits.text_limits(t)]


@pytest.mark.parametrize("module_type,pattern,most", _text_cases(), ids=lambda v: str(v))
def test_text_limit(module_type: str, pattern: tuple[Any, ...], most: int) -> None:
    module = next(m for m in sample_modules("sc/x.png") if m["contentModuleType"] == module_type)
    key = limits.MODULE_BODY_KEY[module_type]
    path = tuple(0 if p == "*" else p for p in pattern)
    node = _get(module[key], path)

    def fill(length: int) -> dict[str, Any]:
        m = copy.deepcopy(module)
        text = "x" * length
        if isinstance(node, str):
            value: Any = text
        elif "textList" in node:
            value = {"textList": [{"value": text}]}
        else:
            value = {"value": text}
        _set(m[key], path, value)
        return m

    assert run_rules(_doc([fill(most)]), _ctx(), only=["text-limits"]) == []
    [diag] = run_rules(_doc([fill(most + 1)]), _ctx(), only=["text-limits"])
    assert diag.field == format_path(("modules", 0, key) + path)
    assert diag.message == f"is {most + 1} characters; {module_type} allows at most {most} here"


def _image_cases() -> list[tuple[str, tuple[Any, ...], tuple[int, int]]]:
    return [(t, p, size) for t in MODULE_TYPES for p, size in limits.image_paths(t)]


@pytest.mark.parametrize("module_type,pattern,size", _image_cases(), ids=lambda v: str(v))
def test_image_minimum(module_type: str, pattern: tuple[Any, ...], size: tuple[int, int]) -> None:
    module = next(m for m in sample_modules("sc/x.png") if m["contentModuleType"] == module_type)
    key = limits.MODULE_BODY_KEY[module_type]
    path = tuple(0 if p == "*" else p for p in pattern)
    w, h = size

    def with_image(width: int, height: int) -> DesiredDocument:
        m = copy.deepcopy(module)
        _set(m[key], path, {"uploadDestinationId": "local:assets/i.png", "imageCropSpecification": crop(width, height), "altText": "i"})
        image = LocalImage("assets/i.png", "0" * 64, "x", 10, width, height, "image/png")
        return _doc([m], {"assets/i.png": image})

    assert run_rules(with_image(w, h), _ctx(), only=["image-sizes"]) == []
    for small in ((w - 1, h), (w, h - 1)):
        [diag] = run_rules(with_image(*small), _ctx(), only=["image-sizes"])
        assert diag.message == f"image assets/i.png is {small[0]}x{small[1]} px; {module_type} needs at least {w}x{h} px here"


def test_uploaded_image_crop_below_minimum() -> None:
    module = next(m for m in sample_modules("sc/x.png") if m["contentModuleType"] == "STANDARD_COMPANY_LOGO")
    module["standardCompanyLogo"]["companyLogo"]["imageCropSpecification"] = crop(599, 180)
    [diag] = run_rules(_doc([module]), _ctx(), only=["image-sizes"])
    assert diag.field == "modules[0].standardCompanyLogo.companyLogo.imageCropSpecification"
    assert diag.message == "crop is 599x180 px; STANDARD_COMPANY_LOGO needs at least 600x180 px here"


@pytest.mark.parametrize("account_type,most", [("seller", 7), ("vendor", 5)])
def test_module_count(account_type: str, most: int) -> None:
    ok = {"modules": [{}] * most}
    assert run_rules(_doc([]), _ctx(ok, account_type), only=["module-count"]) == []
    [diag] = run_rules(_doc([]), _ctx({"modules": [{}] * (most + 1)}, account_type), only=["module-count"])
    assert (diag.field, diag.message) == (
        f"modules[{most}]", f"too many modules: {most + 1} given, a {account_type} document holds at most {most}",
    )


def test_rules_are_pluggable() -> None:
    from aplusctl.content.rules import rule

    @rule("test-no-shouting")
    def no_shouting(doc: DesiredDocument, ctx: RuleContext):  # type: ignore[no-untyped-def]
        if doc.name.isupper():
            yield ctx.diag(("name",), "no shouting")

    try:
        doc = _doc([])
        assert run_rules(doc, _ctx(), only=["test-no-shouting"]) == []
        loud = DesiredDocument(**{**doc.__dict__, "name": "LOUD"})
        [diag] = run_rules(loud, _ctx(), only=["test-no-shouting"])
        assert str(diag) == "content/x.yaml:1:1: error: name: no shouting"
    finally:
        del RULES["test-no-shouting"]
