"""load_repo(): the desired state other layers get, and problems found across files and images."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from aplusctl.config import RepoConfig, load_config
from aplusctl.content.images import ImageCache
from aplusctl.content.loader import DesiredDocument, LocalImage, load_repo

EXAMPLES = Path(__file__).parents[1] / "examples" / "content"
US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"


def make_repo(tmp_path: Path, files: dict[str, str], config: str = "account_type: seller\nmarketplaces: [US, DE]\n") -> Path:
    (tmp_path / "aplusctl.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "content").mkdir(exist_ok=True)
    (tmp_path / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (300, 300), (1, 2, 3)).save(tmp_path / "assets" / "square.png")
    for name, text in files.items():
        path = tmp_path / "content" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def load(root: Path):  # type: ignore[no-untyped-def]
    return load_repo(root, load_config(root))


def lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(d) for d in result.diagnostics]


def test_examples_desired_state() -> None:
    result = load(EXAMPLES)
    assert result.diagnostics == []
    by_name = {d.name: d for d in result.documents}
    assert sorted(by_name) == [
        "Ferrum & Oak 3.5-inch paring knife", "Ferrum & Oak 8-inch chef's knife", "Ferrum & Oak Kochmesser 20 cm",
        "Ferrum & Oak end-grain cutting board", "Ferrum & Oak knife care kit",
    ]
    de = by_name["Ferrum & Oak Kochmesser 20 cm"]
    assert (de.path, de.marketplaces, dict(de.locales), de.asins) == (
        "content/chef-knife-de.yaml", (DE,), {DE: "de-DE"}, ("B0FERRUM01",),
    )
    assert (de.content_type, de.submit, de.suspended, de.generate, de.content_reference_key) == ("EBC", True, False, None, None)
    assert [m["contentModuleType"] for m in de.modules] == [
        "STANDARD_HEADER_IMAGE_TEXT", "STANDARD_SINGLE_SIDE_IMAGE", "STANDARD_TECH_SPECS", "STANDARD_PRODUCT_DESCRIPTION",
    ]
    data = (EXAMPLES / "assets" / "hero-kochmesser.jpg").read_bytes()
    assert de.images["assets/hero-kochmesser.jpg"] == LocalImage(
        path="assets/hero-kochmesser.jpg", sha256=hashlib.sha256(data).hexdigest(),
        md5_b64=base64.b64encode(hashlib.md5(data).digest()).decode(), size=len(data),
        width=970, height=600, mime="image/jpeg",
    )
    assert sorted(de.images) == ["assets/hero-kochmesser.jpg", "assets/knife-side.jpg"]
    assert by_name["Ferrum & Oak knife care kit"].submit is False


def test_body_swaps_placeholders_without_touching_the_document() -> None:
    doc = next(d for d in load(EXAMPLES).documents if d.path == "content/chef-knife-de.yaml")
    body = doc.body(DE, lambda path: "sc/uploaded-hero.jpg" if path == "assets/hero-kochmesser.jpg" else None)
    assert list(body) == ["name", "contentType", "locale", "contentModuleList"]
    assert body["contentModuleList"][0]["standardHeaderImageText"]["block"]["image"]["uploadDestinationId"] == "sc/uploaded-hero.jpg"
    assert body["contentModuleList"][1]["standardSingleSideImage"]["block"]["image"]["uploadDestinationId"] == "local:assets/knife-side.jpg"
    assert doc.modules[0]["standardHeaderImageText"]["block"]["image"]["uploadDestinationId"] == "local:assets/hero-kochmesser.jpg"
    assert doc.body(DE) == {**body, "contentModuleList": doc.modules}
    with pytest.raises(Exception):
        doc.name = "changed"  # type: ignore[misc]


def test_defaults_from_config_and_usual_locales(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {
        "a.yaml": "name: A\nmodules:\n  - standardText: {body: Hi}\n",
        "b.yaml": "name: B\nlocale: en-GB\nmarketplaces: [DE, US]\nmodules:\n  - standardText: {body: Hi}\n",
    })
    a, b = load(root).documents
    assert (a.marketplaces, dict(a.locales)) == ((US, DE), {US: "en-US", DE: "de-DE"})
    assert (b.marketplaces, dict(b.locales)) == ((DE, US), {DE: "en-GB", US: "en-GB"})


def test_all_document_fields(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"x.yml": """\
name: Renamed
previous_names: [Old name, Older name]
content_reference_key: 0b6b1d9c-7f0e-4c3a-9a55-2c1e8f3d4a21
status: suspended
submit: false
marketplaces: [A1PA6795UKMFR9]
asins: [B0AAAAAAAA, B0BBBBBBBB]
generate:
  asin: B0AAAAAAAA
  country_code: DE
  types: [A+ Basic]
  user_prompt: Keep it short
"""})
    [doc] = load(root).documents
    assert doc == DesiredDocument(
        name="Renamed", path="content/x.yml", marketplaces=(DE,), locales={DE: "de-DE"},
        asins=("B0AAAAAAAA", "B0BBBBBBBB"), previous_names=("Old name", "Older name"),
        content_reference_key="0b6b1d9c-7f0e-4c3a-9a55-2c1e8f3d4a21", submit=False, suspended=True,
        generate={"asin": "B0AAAAAAAA", "country_code": "DE", "types": ["A+ Basic"], "user_prompt": "Keep it short"},
        content_type="EBC", modules=[], images={},
    )


def test_vendor_documents(tmp_path: Path) -> None:
    modules = "".join("  - standardText: {body: Hi}\n" for _ in range(6))
    root = make_repo(tmp_path, {"v.yaml": "name: V\nmodules:\n" + modules}, config="account_type: vendor\nmarketplaces: [US]\n")
    result = load(root)
    assert lines(result) == ["content/v.yaml:8:5: error: modules[5]: too many modules: 6 given, a vendor document holds at most 5"]
    root = make_repo(tmp_path, {"v.yaml": "name: V\nmodules:\n" + modules[: len(modules) // 6 * 5]}, config="account_type: vendor\nmarketplaces: [US]\n")
    assert load(root).documents[0].content_type == "EMC"


def test_problems_inside_a_sugar_are_reported_once_at_the_sugar(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"t.yaml": f"name: T\nmodules:\n  - standardText:\n      body: {'x' * 10001}\n"})
    assert lines(load(root)) == ["content/t.yaml:4:7: error: modules[0].standardText.body: is 10001 characters; at most 10000 allowed"]


def test_every_problem_in_every_file_in_one_run(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {
        "a.yaml": "name: A\nasins: [bad]\nmodules:\n  - standardText: {body: Hi, hedline: x}\n",
        "sub/b.yaml": "name: B\nmarketplaces: [XX]\nmodules:\n  - standardText: {}\n",
        "c.yaml": "name: [unclosed\n",
    })
    assert lines(load(root)) == [
        "content/a.yaml:2:9: error: asins[0]: 'bad' is not an ASIN (10 capital letters or digits)",
        "content/a.yaml:4:30: error: modules[0].standardText.hedline: unknown key 'hedline' (did you mean 'headline'?)",
        "content/c.yaml:2:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 1)",
        "content/sub/b.yaml:2:16: error: marketplaces[0]: unknown marketplace 'XX'",
        "content/sub/b.yaml:4:5: error: modules[0].standardText.body: is required",
    ]
    assert load(root).documents == []


def test_only_given_paths_are_loaded(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"a.yaml": "name: A\nmodules:\n  - standardText: {body: Hi}\n", "b.yaml": "oops: 1\n"})
    result = load_repo(root, load_config(root), [Path("content/a.yaml")])
    assert ([d.name for d in result.documents], result.diagnostics) == (["A"], [])


def test_missing_content_dir(tmp_path: Path) -> None:
    (tmp_path / "aplusctl.yaml").write_text("content_dir: docs\n", encoding="utf-8")
    assert lines(load(tmp_path)) == ["aplusctl.yaml:1:1: error: content_dir: content directory 'docs' does not exist"]


# --- images --------------------------------------------------------------------------------------------


def image_file(root: Path, name: str, text: str) -> list[str]:
    module = f"  - standardSingleSideImage:\n      imagePositionType: LEFT\n      block:\n        image: {{src: {name}, alt: x}}\n"
    make_repo(root, {"i.yaml": "name: I\nmodules:\n" + module})
    return lines(load(root))


def test_image_over_3_mib(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))
    assert image_file(tmp_path, "assets/big.png", "") == [
        "content/i.yaml:6:17: error: modules[0].standardSingleSideImage.block.image.src: "
        "image assets/big.png is 3,145,736 bytes; the upload limit is 3,145,728 bytes (3 MiB)"
    ]


def test_tiff_and_jpeg_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    Image.new("RGB", (300, 300)).save(tmp_path / "assets" / "x.tif")
    assert image_file(tmp_path, "assets/x.tif", "") == []
    assert load(tmp_path).documents[0].images["assets/x.tif"].mime == "image/tiff"


def test_symlink_inside_the_repo_is_fine(tmp_path: Path) -> None:
    make_repo(tmp_path, {})
    os.symlink("square.png", tmp_path / "assets" / "alias.png")
    assert image_file(tmp_path, "assets/alias.png", "") == []


def test_truncated_image(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    [line] = image_file(tmp_path, "assets/cut.png", "")
    assert line.startswith("content/i.yaml:6:17: error: modules[0].standardSingleSideImage.block.image.src: image assets/cut.png cannot be read")


def test_each_image_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(tmp_path, {})
    import aplusctl.content.images as images

    calls: list[str] = []
    real = images._read
    monkeypatch.setattr(images, "_read", lambda root, rel: calls.append(rel) or real(root, rel))
    cache = ImageCache(tmp_path)
    assert cache.get("assets/square.png") == cache.get("./assets/square.png")
    assert calls == ["assets/square.png"]


def test_copied_examples_stay_valid(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "repo")
    assert len(load(tmp_path / "repo").documents) == 5


def test_config_object_is_what_load_repo_uses() -> None:
    config = RepoConfig(account_type="vendor", marketplaces=["US"])
    assert (config.content_type, config.marketplace_ids) == ("EMC", [US])


def test_scan_skips_hidden_directories_and_the_config(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"a.yaml": "name: A\nmodules:\n  - standardText: {body: Hi}\n"},
                     config="marketplaces: [US]\ncontent_dir: .\n")
    (root / ".github").mkdir()
    (root / ".github" / "ci.yml").write_text("on: push\n", encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    result = load(root)
    assert ([d.path for d in result.documents], result.diagnostics) == (["content/a.yaml"], [])


# --- YAML with positions -------------------------------------------------------------------------------

from aplusctl.content.yamlpos import YamlError, _compose, load_located  # noqa: E402

BROKEN = Path(__file__).parent / "broken" / "content"


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.yaml")) + sorted(BROKEN.rglob("*.yaml")), ids=lambda p: p.name)
def test_fast_and_careful_paths_read_the_same_data(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: the loader stops before YAML")
    try:
        careful = _compose(text)
    except YamlError:
        with pytest.raises(YamlError):
            load_located(text)
        return
    fast = load_located(text)
    assert fast.data == careful.data
    assert fast.positions == careful.positions


def test_positions_are_one_based_lines_and_columns() -> None:
    located = load_located("name: x\nmodules:\n  - standardText:\n      body: hi\n")
    assert located.positions[("modules", 0, "standardText", "body")] == (4, 7)
    assert located.locate(("modules", 0, "standardText", "headline", "value")) == (3, 5)


def test_alias_bomb_is_refused_quickly() -> None:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 10):
        text += f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
    with pytest.raises(YamlError, match=r"document too large \(more than 200000 values, alias expansion\?\)"):
        load_located(text)


def test_small_aliases_are_fine() -> None:
    assert load_located("base: &b {x: 1}\nother: *b\n").data == {"base": {"x": 1}, "other": {"x": 1}}


def test_validate_reads_headers_only_and_hashes_on_demand(tmp_path: Path) -> None:
    make_repo(tmp_path, {"i.yaml": "name: I\nmodules:\n  - standardSingleSideImage:\n      imagePositionType: LEFT\n"
                                   "      block: {image: {src: assets/square.png, alt: x}}\n"})
    [doc] = load(tmp_path).documents
    image = doc.images["assets/square.png"]
    assert image._sha256 is None and image._md5_b64 is None  # nothing hashed while validating
    data = (tmp_path / "assets" / "square.png").read_bytes()
    assert (image.sha256, image.md5_b64, image.size) == (
        hashlib.sha256(data).hexdigest(), base64.b64encode(hashlib.md5(data).digest()).decode(), len(data),
    )
    with pytest.raises(AttributeError):
        image.width = 1  # type: ignore[misc]


def test_marketplaces_required_somewhere(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"a.yaml": "name: A\nmodules:\n  - standardText: {body: Hi}\n"}, config="account_type: seller\n")
    assert lines(load(root)) == ["content/a.yaml:1:1: error: marketplaces: is required: none in this file and none in aplusctl.yaml"]


def test_config_given_as_a_path_is_not_a_content_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"a.yaml": "name: A\nmodules:\n  - standardText: {body: Hi}\n"})
    result = load_repo(root, load_config(root), [Path("aplusctl.yaml"), Path("content/a.yaml")])
    assert ([d.name for d in result.documents], result.diagnostics) == (["A"], [])
