"""`aplusctl import` against the sandbox over real HTTP: all 15 module types round-trip to files
that plan as no change and validate clean; statuses, relations, several marketplaces, NAME
selection, refusal to overwrite, documents that cannot be represented or would not validate."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result
from PIL import Image

from aplusctl.cli import main
from aplusctl.content.fmt import format_text
from aplusctl.content.samples import sample_modules
from aplusctl.content.sugar import Unrepresentable, sugar_module
from aplusctl.credentials import SpApiCredentials
from aplusctl.engine.importer import LiveRead, plan_import, slug
from aplusctl.engine.lock import Lock, load_lock
from aplusctl.engine.normalize import asins_hash
from aplusctl.config import load_config
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi.client import SpApiClient
from aplusctl.spapi.uploads import content_md5_b64

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


def client_of(sb: EmbeddedSandbox) -> SpApiClient:
    env = sb.env
    return SpApiClient(SpApiCredentials.from_env(env), env["APLUSCTL_SPAPI_ENDPOINT"],
                       env["APLUSCTL_LWA_ENDPOINT"])


def make_repo(root: Path, marketplaces: str = "[US, DE]") -> Path:
    (root / "content").mkdir(parents=True)
    (root / "aplusctl.yaml").write_text(f"account_type: seller\nmarketplaces: {marketplaces}\n")
    return root


def cli(root: Path, sb: EmbeddedSandbox, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(root), "--no-color", *args], env=sb.env)


def settle(sb: EmbeddedSandbox) -> None:
    httpx.post(sb.base_url + "/_sandbox/moderation/settle").raise_for_status()


def plant(sb: EmbeddedSandbox, document: dict[str, Any], marketplace_id: str = US, **extra: Any) -> str:
    """A document as Seller Central might leave it (the sandbox stores it unchecked)."""
    r = httpx.post(sb.base_url + "/_sandbox/documents",
                   json={"marketplace_id": marketplace_id, "document": document, **extra})
    r.raise_for_status()
    return str(r.json()["content_reference_key"])


async def _seed(sb: EmbeddedSandbox) -> dict[str, str]:
    """All 15 module types over three US documents (APPROVED, DRAFT, REJECTED) and one DE copy,
    with real uploads of every image size and ASIN relations."""
    keys: dict[str, str] = {}
    async with client_of(sb) as client:
        uploaded: dict[tuple[str, int, int], str] = {}

        async def upload(mid: str, w: int, h: int) -> str:
            if (mid, w, h) not in uploaded:
                buf = io.BytesIO()
                Image.new("RGB", (w, h), (30, 90, 150)).save(buf, "PNG")
                data = buf.getvalue()
                dest = await client.create_upload_destination(mid, content_md5_b64(data), "image/png")
                await client.upload(dest, data, "image/png", f"{w}x{h}.png")
                uploaded[(mid, w, h)] = dest.upload_destination_id
            return uploaded[(mid, w, h)]

        sizes: list[tuple[int, int]] = []
        sample_modules(lambda w, h: sizes.append((w, h)) or "x")
        for w, h in sizes:
            await upload(US, w, h)
            await upload(DE, w, h)
        us_modules = sample_modules(lambda w, h: uploaded[(US, w, h)])
        de_modules = sample_modules(lambda w, h: uploaded[(DE, w, h)])

        async def create(mid: str, name: str, modules: list[dict[str, Any]], asins: list[str],
                         locale: str = "en-US") -> str:
            body = {"name": name, "contentType": "EBC", "locale": locale, "contentModuleList": modules}
            key = await client.create_content_document(mid, body)
            if asins:
                await client.post_content_document_asin_relations(key, mid, asins)
            return key

        keys["Ridge boots"] = await create(US, "Ridge boots", us_modules[0:5], ["B0NPRIDGE1", "B0NPRIDGE2"])
        keys["Ridge details"] = await create(US, "Ridge details", us_modules[5:10], [])
        keys["Ridge specs"] = await create(US, "Ridge specs", us_modules[10:15], ["B0NPSUMMT2"])
        keys["DE/Ridge boots"] = await create(DE, "Ridge boots", de_modules[10:15], ["B0NPRIDGE1"],
                                              locale="en-GB")
        await client.post_content_document_approval_submission(keys["Ridge boots"], US)
        httpx.post(sb.base_url + "/_sandbox/moderation", json={
            "content_reference_key": keys["Ridge specs"], "outcome": "REJECTED",
            "reasons": ["Pricing language is not allowed"]}).raise_for_status()
        await client.post_content_document_approval_submission(keys["Ridge specs"], US)
    settle(sb)
    return keys


@pytest.fixture
def sb(make_sandbox: Callable[..., EmbeddedSandbox]) -> EmbeddedSandbox:
    return make_sandbox(rate_scale=0)


@pytest.fixture
def seeded(sb: EmbeddedSandbox) -> dict[str, str]:
    return asyncio.run(_seed(sb))


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_import_all_round_trips_every_module_type(sb: EmbeddedSandbox, seeded: dict[str, str],
                                                  tmp_path: Path) -> None:
    premium = plant(sb, {"name": "Brand story", "contentType": "EBC", "locale": "en-US",
                         "contentModuleList": [{"contentModuleType": "PREMIUM_FULL_IMAGE",
                                                "premiumFullImage": {"headline": {"value": "Hi"}}}]})
    root = make_repo(tmp_path / "repo")
    r = cli(root, sb, "import", "--all")
    assert r.exit_code == 0, r.output
    content = root / "content"
    names = sorted(p.name for p in content.iterdir())
    assert names == ["ridge-boots-de.yaml", "ridge-boots.yaml", "ridge-details.yaml", "ridge-specs.yaml"]
    assert "Imported 4 documents" in r.output
    assert f"skipped  US/Brand story ({premium}): contentModuleList[0]: module type 'PREMIUM_FULL_IMAGE'" in r.output

    # every module type, sugared: no contentModuleType, plain strings, upload references
    types = set()
    for path in content.iterdir():
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=../schemas/content.schema.json\n")
        assert format_text(text) == text  # already in fmt's canonical form
        for module in load(path)["modules"]:
            assert "contentModuleType" not in module
            types.update(module)
    assert len(types) == 15

    boots = load(content / "ridge-boots.yaml")
    assert boots["name"] == "Ridge boots" and boots["content_reference_key"] == seeded["Ridge boots"]
    assert boots["marketplaces"] == ["US"] and "locale" not in boots and "submit" not in boots
    assert boots["asins"] == ["B0NPRIDGE1", "B0NPRIDGE2"]
    header = boots["modules"][0]["standardHeaderImageText"]
    assert header["headline"] == "Northpeak Ridge Hiking Boots"
    image = header["block"]["image"]
    assert image["upload_destination_id"].startswith("sc/") and image["size"] == {"width": 970, "height": 600}
    assert "{upload_destination_id: sc/" in (content / "ridge-boots.yaml").read_text()  # one line per image

    de = load(content / "ridge-boots-de.yaml")
    assert de["marketplaces"] == ["DE"] and de["locale"] == "en-GB"
    assert de["content_reference_key"] == seeded["DE/Ridge boots"]
    assert load(content / "ridge-details.yaml")["submit"] is False  # DRAFT
    specs = load(content / "ridge-specs.yaml")
    assert specs["submit"] is False and "live status REJECTED" in r.output
    text_module = next(m for m in specs["modules"] if "standardText" in m)["standardText"]
    assert text_module["body"]["textList"][0]["decoratorSet"][0]["type"] == "STYLE_BOLD"
    desc = next(m for m in specs["modules"] if "standardProductDescription" in m)
    assert len(desc["standardProductDescription"]["body"]["textList"]) == 2

    lock = load_lock(root)
    entry = lock.document(US, "Ridge boots")
    assert entry and entry["content_reference_key"] == seeded["Ridge boots"] and entry["managed"]
    assert entry["applied_hash"].startswith("sha256:")
    assert entry["asins_hash"] == asins_hash(["B0NPRIDGE1", "B0NPRIDGE2"])
    assert lock.document(DE, "Ridge boots")["content_reference_key"] == seeded["DE/Ridge boots"]  # type: ignore[index]

    plan = cli(root, sb, "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes. Live A+ content matches the files." in plan.output
    data = json.loads(cli(root, sb, "plan", "--format", "json").output)
    assert {c["drift"]["kind"] for c in data["resource_changes"]} == {"none"}
    assert len(data["resource_changes"]) == 4
    assert cli(root, sb, "validate").exit_code == 0
    assert cli(root, sb, "fmt", "--check").exit_code == 0

    # a second --all keeps what is already declared and still exits 0
    again = cli(root, sb, "import", "--all")
    assert again.exit_code == 0, again.output
    assert "kept     US/Ridge boots" in again.output and "Imported 0 documents" in again.output


def test_name_selection_and_refusals(sb: EmbeddedSandbox, seeded: dict[str, str], tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    other = "# hand-written\nname: Something else\nmarketplaces: [US]\nmodules:\n  - standardText:\n      body: Hi there.\n"
    (root / "content" / "ridge-details.yaml").write_text(other)

    r = cli(root, sb, "import", "--marketplace", "US", "Ridge details", "Nope*")
    assert r.exit_code == 1, r.output
    assert "no live document matches 'Nope*'" in r.output
    # the file of another document is never overwritten: the import goes next to it
    assert (root / "content" / "ridge-details.yaml").read_text() == other
    assert load(root / "content" / "ridge-details-us.yaml")["name"] == "Ridge details"
    assert "content/ridge-details.yaml already holds another document or file" in r.output
    assert sorted(p.name for p in (root / "content").iterdir()) == ["ridge-details-us.yaml", "ridge-details.yaml"]

    # the same document again: refused, unless --force
    (root / "content" / "ridge-details-us.yaml").write_text(
        (root / "content" / "ridge-details-us.yaml").read_text() + "# my note\n")
    r = cli(root, sb, "import", "US/Ridge details")
    assert r.exit_code == 1
    assert "already declared in content/ridge-details-us.yaml (--force rewrites it from live)" in r.output
    assert "# my note" in (root / "content" / "ridge-details-us.yaml").read_text()
    r = cli(root, sb, "import", "--force", "Ridge details")
    assert r.exit_code == 0, r.output
    assert "rewrote  US/Ridge details → content/ridge-details-us.yaml" in r.output
    assert "# my note" not in (root / "content" / "ridge-details-us.yaml").read_text()

    # a glob selects by name across marketplaces; --dir puts files in a subdirectory
    r = cli(root, sb, "import", "--dir", "content/boots", "Ridge b*")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (root / "content" / "boots").iterdir()) == ["ridge-boots-de.yaml", "ridge-boots.yaml"]
    text = (root / "content" / "boots" / "ridge-boots.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schemas/content.schema.json\n")
    assert "Ridge specs" not in r.output
    # --dir outside content_dir is refused (plan would not read the files)
    r = cli(root, sb, "import", "--dir", "elsewhere", "Ridge specs")
    assert r.exit_code == 1 and "must be inside the content directory" in r.output
    # a file that pins another document under the same name: importing this one would clash
    clash = root / "content" / "mine.yaml"
    clash.write_text("name: Ridge specs\ncontent_reference_key: 0b6b1d9c-7f0e-4c3a-9a55-2c1e8f3d4a21\n"
                     "marketplaces: [US]\nmodules:\n  - standardText:\n      body: Mine.\n")
    r = cli(root, sb, "import", "Ridge specs")
    assert r.exit_code == 1
    assert "content/mine.yaml already uses this name in US for another document; rename one" in r.output
    clash.unlink()
    # everything imported plans as no change (the hand-written document is not live: a create)
    plan = cli(root, sb, "plan", "--detailed-exitcode", "--exclude", "Something else")
    assert plan.exit_code == 0, plan.output


def test_documents_that_would_not_validate_are_skipped_with_reasons(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    text = {"contentModuleType": "STANDARD_TEXT", "standardText": {"body": {"textList": [{"value": "Fine."}]}}}
    long_name = "A" * 120
    keys = {
        "long": plant(sb, {"name": long_name, "contentType": "EBC", "locale": "en-US", "contentModuleList": [text]}),
        "empty": plant(sb, {"name": "Empty text", "contentType": "EBC", "locale": "en-US", "contentModuleList": [
            {"contentModuleType": "STANDARD_TEXT", "standardText": {"headline": {"value": ""},
                                                                    "body": {"textList": [{"value": "x"}]}}}]}),
        "subtype": plant(sb, {"name": "Subtyped", "contentType": "EBC", "contentSubType": "BRAND_STORY",
                              "locale": "en-US", "contentModuleList": [text]}),
        "vendor": plant(sb, {"name": "Vendor copy", "contentType": "EMC", "locale": "en-US",
                             "contentModuleList": [text]}),
        "ok": plant(sb, {"name": "Plain text", "contentType": "EBC", "locale": "es-US", "contentModuleList": [text]},
                    status="APPROVED", asins=["B0PLAIN001"]),
    }
    dup = [plant(sb, {"name": "Twin", "contentType": "EBC", "locale": "en-US", "contentModuleList": [text]})
           for _ in range(2)]
    root = make_repo(tmp_path / "repo", "[US]")
    r = cli(root, sb, "import", "--all")
    assert r.exit_code == 0, r.output
    assert f"({keys['long']}): it would not pass validate as it is live: name: is 120 characters; at most 100" in r.output
    assert f"({keys['empty']}): it would not pass validate as it is live: " in r.output
    assert "must not be empty" in r.output
    assert f"({keys['subtype']}): it has contentSubType 'BRAND_STORY'" in r.output
    assert f"({keys['vendor']}): its contentType is 'EMC'" in r.output
    assert f"({dup[0]}): 2 live documents share this name" in r.output
    assert [p.name for p in (root / "content").iterdir()] == ["plain-text.yaml"]
    plain = load(root / "content" / "plain-text.yaml")
    assert plain["locale"] == "es-US" and plain["modules"] == [{"standardText": {"body": "Fine."}}]
    assert plain["asins"] == ["B0PLAIN001"]
    assert "Imported 1 document, left 6 alone" in r.output
    plan = cli(root, sb, "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    # the skipped ones stay unmanaged, reported by plan; asking for one by name fails
    assert "Twin" in plan.output
    named = cli(root, sb, "import", "Vendor copy")
    assert named.exit_code == 1 and "its contentType is 'EMC'" in named.output


def test_usage_errors_without_traceback(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    for args, message in [
        ((), "say what to import"),
        (("--all", "X"), "not both"),
        (("--all", "--marketplace", "XX"), "'XX' is not a marketplace"),
    ]:
        r = cli(root, sb, "import", *args)
        assert r.exit_code == 1 and message in r.output, r.output
        assert "Traceback" not in r.output


def test_unreadable_document_is_skipped(tmp_path: Path) -> None:
    """getContentDocument refusing a Premium document (InvalidInput "Unsupported content module
    type"): the sandbox cannot produce that answer, so this drives the pure step directly."""
    root = make_repo(tmp_path / "repo")
    live = LiveRead(US, "0b6b1d9c-7f0e-4c3a-9a55-2c1e8f3d4a21", "Premium page", "APPROVED",
                    read_error="Invalid input. (Unsupported content module type [premium-module-1])")
    result = plan_import(root, load_config(root), [live], [], "content", Lock())
    assert not result.imported
    (skip,) = result.skipped
    assert "Unsupported content module type" in skip.reason and "Seller Central" in skip.reason


def test_sugar_inverse_details() -> None:
    image = {"uploadDestinationId": "sc/a.png", "altText": "A",
             "imageCropSpecification": {"size": {"width": {"value": 400, "units": "pixels"},
                                                 "height": {"value": 300, "units": "pixels"}},
                                        "offset": {"x": {"value": 10, "units": "pixels"},
                                                   "y": {"value": 0, "units": "pixels"}}}}
    module = {"contentModuleType": "STANDARD_SINGLE_SIDE_IMAGE",
              "standardSingleSideImage": {"imagePositionType": "LEFT", "block": {"image": image}}}
    sugared = sugar_module(module)
    assert sugared["standardSingleSideImage"]["block"]["image"] == {
        "upload_destination_id": "sc/a.png", "alt": "A", "crop": {"width": 400, "height": 300, "x": 10, "y": 0}}
    odd = json.loads(json.dumps(image).replace('"pixels"', '"inches"'))
    module["standardSingleSideImage"]["block"]["image"] = odd
    assert sugar_module(module)["standardSingleSideImage"]["block"]["image"] == odd  # API shape kept
    with pytest.raises(Unrepresentable, match="'extra' is not part of StandardImageTextBlock"):
        sugar_module({"contentModuleType": "STANDARD_SINGLE_SIDE_IMAGE",
                      "standardSingleSideImage": {"block": {"extra": 1}}})
    assert slug("Ferrum & Oak 8-inch chef's knife") == "ferrum-oak-8-inch-chef-s-knife"
    assert slug("Küchenmesser für Profis") == "kuchenmesser-fur-profis"
    assert slug("日本語") == "document" and len(slug("word " * 40)) <= 60


def test_images_the_repo_holds_come_back_as_src(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    """A document apply made from local files, then edited in Seller Central: import writes the
    images as `src:` files again (aplus.lock knows them), and plan shows no change."""
    root = make_repo(tmp_path / "repo", "[US]")
    (root / "assets").mkdir()
    Image.new("RGB", (1000, 620), (200, 120, 40)).save(root / "assets" / "hero.png")
    Image.new("RGB", (400, 400), (20, 120, 40)).save(root / "assets" / "side.png")
    (root / "content" / "knife.yaml").write_text("""name: Chef Knife
marketplaces: [US]
asins: [B0TESTAA01]
modules:
  - standardHeaderImageText:
      headline: One blade for every cut
      block:
        image: {src: assets/hero.png, alt: The knife}
        body: Forged from one bar of steel.
  - standardSingleSideImage:
      imagePositionType: RIGHT
      block:
        image: {src: assets/side.png, alt: Side view, crop: {width: 300, height: 300, x: 50, y: 20}}
        headline: Balanced
""")
    r = cli(root, sb, "apply", "--auto-approve")
    assert r.exit_code == 0, r.output
    key = load_lock(root).document(US, "Chef Knife")["content_reference_key"]  # type: ignore[index]

    async def edit(client: SpApiClient) -> None:
        doc = (await client.get_content_document(key, US))["contentRecord"]["contentDocument"]
        doc["contentModuleList"][0]["standardHeaderImageText"]["headline"]["value"] = "Edited live"
        await client.update_content_document(key, US, doc)

    async def run() -> None:
        async with client_of(sb) as client:
            await edit(client)

    asyncio.run(run())
    (root / "content" / "knife.yaml").unlink()
    r = cli(root, sb, "import", "Chef Knife")
    assert r.exit_code == 0, r.output
    data = load(root / "content" / "chef-knife.yaml")
    header = data["modules"][0]["standardHeaderImageText"]
    assert header["headline"] == "Edited live"
    assert header["block"]["image"] == {"src": "assets/hero.png", "alt": "The knife"}
    assert data["modules"][1]["standardSingleSideImage"]["block"]["image"] == {
        "src": "assets/side.png", "alt": "Side view", "crop": {"width": 300, "height": 300, "x": 50, "y": 20}}
    assert data["submit"] is False  # the edit left it a DRAFT
    plan = cli(root, sb, "plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.output
