"""The pure side of generation: stanza identity, costs, plan lines, and A+ Basic → SP-API modules."""

from __future__ import annotations

from typing import Any

import pytest

from aplusctl.content import generated as g
from aplusctl.content.images import LocalImage
from aplusctl.content.loader import DesiredDocument
from aplusctl.content.models import parse_module, to_api
from aplusctl.engine.lock import Lock
from aplusctl.errors import UserError

STANZA: dict[str, Any] = {
    "asin": "B0CHEFKNF1", "country_code": "US", "types": ["A+ Basic", "A+ Premium"],
    "other_image_urls": ["https://example.com/a.png", "https://example.com/b.png"],
    "user_prompt": "emphasise the steel",
}


def doc(stanza: dict[str, Any] | None = STANZA, *, content_type: str = "EBC",
        modules: list[dict[str, Any]] | None = None, name: str = "Chef Knife") -> DesiredDocument:
    return DesiredDocument(
        name=name, path="content/knife.yaml", marketplaces=("ATVPDKIKX0DER",),
        locales={"ATVPDKIKX0DER": "en-US"}, asins=("B0CHEFKNF1",), previous_names=(),
        content_reference_key=None, submit=True, suspended=False, generate=stanza,
        content_type=content_type, modules=modules or [], images={},
    )


def image(path: str, width: int = 970, height: int = 600) -> LocalImage:
    return LocalImage(path=path, sha256="0" * 64, md5_b64="AAAA", size=1000, width=width,
                      height=height, mime="image/png")


def basic_record(count: int, size: tuple[int, int] = (970, 600)) -> tuple[dict[str, Any], dict[str, LocalImage]]:
    paths = [f"assets/generated/chef-knife/a-plus-basic/module-{i:02d}.png" for i in range(1, count + 1)]
    record = {"status": "completed", "types": ["A+ Basic"], "dir": "assets/generated/chef-knife",
              "variants": {"A+ Basic": {"files": [{"path": p, "sha256": "0" * 64} for p in paths],
                                        "preview": None, "error": None}}}
    return record, {p: image(p, *size) for p in paths}


# --- identity and cost ---------------------------------------------------------------------


def test_hash_treats_types_as_a_set_and_image_urls_as_a_list() -> None:
    base = g.stanza_hash(STANZA)
    assert base.startswith("sha256:") and len(base) == 7 + 64
    assert g.stanza_hash({**STANZA, "types": ["A+ Premium", "A+ Basic"]}) == base
    reordered = {**STANZA, "other_image_urls": list(reversed(STANZA["other_image_urls"]))}
    assert g.stanza_hash(reordered) != base
    assert g.stanza_hash({**STANZA, "user_prompt": "emphasise the handle"}) != base
    assert g.stanza_hash({**STANZA, "main_image_url": "https://example.com/m.png"}) != base


def test_aplusctl_options_do_not_change_the_generation() -> None:
    base = g.stanza_hash(STANZA)
    options = {"alt_text": "A knife", "module_type": "STANDARD_SINGLE_SIDE_IMAGE", "submit": False}
    assert g.stanza_hash({**STANZA, **options}) == base
    assert g.pixii_request({**STANZA, **options}) == STANZA


@pytest.mark.parametrize("types, credits", [
    (["A+ Basic"], 20), (["A+ Premium"], 20), (["A+ Premium Mobile"], 30),
    (["A+ Basic", "A+ Premium"], 40), (["A+ Basic", "A+ Premium", "A+ Premium Mobile"], 70),
])
def test_generation_cost(types: list[str], credits: int) -> None:
    assert g.generation_cost({**STANZA, "types": types}) == credits


def test_slugs() -> None:
    assert g.slug("Chef Knife 8\" (Damascus)") == "chef-knife-8-damascus"
    assert g.slug("***") == "document"
    assert [g.type_slug(t) for t in g.TYPE_SLUGS] == ["a-plus-basic", "a-plus-premium",
                                                      "a-plus-premium-mobile"]


def test_a_second_document_with_the_same_slug_gets_its_own_folder() -> None:
    lock = Lock(generations={"sha256:aaa": {"document": "Chef Knife", "path": "content/us.yaml",
                                            "dir": "assets/generated/chef-knife"}})
    assert g.document_dir("Chef Knife", "content/us.yaml", "sha256:bbb", lock) == "assets/generated/chef-knife"
    assert g.document_dir("chef knife", "content/other.yaml", "sha256:bbbbbbbbcc", lock) == (
        "assets/generated/chef-knife-bbbbbbbb")
    assert g.document_dir("Chef Knife", "content/de.yaml", "sha256:cccccccc", lock) == (
        "assets/generated/chef-knife-cccccccc")


# --- what plan shows -------------------------------------------------------------------------


def test_pending_generation_lifecycle() -> None:
    d = doc()
    key = g.stanza_hash(STANZA)
    lock = Lock()
    pending = g.pending_generation(d, lock)
    assert pending is not None and pending.reason == "new" and pending.credits == 40
    assert pending.summary == "+ generate A+ Basic, A+ Premium via Pixii (40 credits)"

    lock.generations[key] = {"document": "Chef Knife", "path": "content/knife.yaml",
                             "status": "submitted", "job_id": "job_1"}
    resume = g.pending_generation(d, lock)
    assert resume is not None and resume.reason == "resume" and resume.credits == 0

    lock.generations[key]["status"] = "completed"
    assert g.pending_generation(d, lock) is None
    forced = g.pending_generation(d, lock, force=True)
    assert forced is not None and forced.credits == 40

    changed = g.pending_generation(doc({**STANZA, "user_prompt": "new"}), lock)
    assert changed is not None and changed.reason == "changed" and changed.credits == 40
    assert "stanza changed" in changed.summary

    lock.generations[key]["status"] = "expired"
    expired = g.pending_generation(d, lock)
    assert expired is not None and expired.blocked and "--force" in expired.summary

    lock.generations[key]["status"] = "failed"
    retry = g.pending_generation(d, lock)
    assert retry is not None and retry.reason == "retry" and not retry.blocked
    assert g.pending_generation(doc(None), lock) is None


def test_assets_only_notice_names_seller_central() -> None:
    record = {"types": ["A+ Basic", "A+ Premium Mobile"], "dir": "assets/generated/chef-knife",
              "variants": {"A+ Basic": {"error": None}, "A+ Premium Mobile": {"error": None}}}
    notice = g.assets_only_notice(record)
    assert notice is not None
    assert "A+ Premium Mobile" in notice and "Seller Central" in notice
    assert "assets/generated/chef-knife/a-plus-premium-mobile/" in notice
    assert g.assets_only_notice({"types": ["A+ Basic"], "variants": {}}) is None
    failed = {"types": ["A+ Premium"], "variants": {"A+ Premium": {"error": {"code": "X"}}}}
    assert g.assets_only_notice(failed) is None


# --- A+ Basic → modules ----------------------------------------------------------------------


def test_basic_images_become_image_led_modules_with_alt_text() -> None:
    record, images = basic_record(5)
    modules = g.generated_modules(doc({**STANZA, "alt_text": "Chef knife on a board"}), record, images)
    assert len(modules) == 5
    for number, module in enumerate(modules, start=1):
        assert to_api(parse_module(module)) == module
        assert module["contentModuleType"] == "STANDARD_HEADER_IMAGE_TEXT"
        component = module["standardHeaderImageText"]["block"]["image"]
        assert component["uploadDestinationId"] == (
            f"local:assets/generated/chef-knife/a-plus-basic/module-{number:02d}.png")
        assert component["altText"] == "Chef knife on a board"
        assert component["imageCropSpecification"] == {"size": {
            "width": {"value": 970, "units": "pixels"}, "height": {"value": 600, "units": "pixels"}}}


def test_default_alt_text_names_the_document() -> None:
    record, images = basic_record(2)
    modules = g.generated_modules(doc(), record, images)
    alts = [m["standardHeaderImageText"]["block"]["image"]["altText"] for m in modules]
    assert alts == ["Chef Knife - image 1 of 2", "Chef Knife - image 2 of 2"]


@pytest.mark.parametrize("content_type, cap", [("EBC", 7), ("EMC", 5)])
def test_at_most_seven_modules_for_sellers_and_five_for_vendors(content_type: str, cap: int) -> None:
    record, images = basic_record(9)
    modules = g.generated_modules(doc(content_type=content_type), record, images)
    assert len(modules) == cap
    handwritten = [{"contentModuleType": "STANDARD_TEXT", "standardText": {
        "body": {"textList": [{"value": "Forged."}]}}}]
    assert len(g.generated_modules(doc(content_type=content_type, modules=handwritten),
                                   record, images)) == cap - 1


def test_wide_images_are_cropped_by_spec_to_the_module_shape() -> None:
    record, images = basic_record(1, size=(1464, 600))
    stanza = {**STANZA, "module_type": "STANDARD_HEADER_IMAGE_TEXT"}
    (module,) = g.generated_modules(doc(stanza), record, images)
    crop = module["standardHeaderImageText"]["block"]["image"]["imageCropSpecification"]
    assert crop["size"]["width"]["value"] == 970 and crop["size"]["height"]["value"] == 600
    assert crop["offset"]["x"]["value"] == (1464 - 970) // 2 and crop["offset"]["y"]["value"] == 0
    parse_module(module)


def test_the_image_size_picks_the_module_type() -> None:
    record, images = basic_record(1, size=(970, 300))
    (overlay,) = g.generated_modules(doc(), record, images)
    assert overlay["contentModuleType"] == "STANDARD_IMAGE_TEXT_OVERLAY"
    record, images = basic_record(1, size=(600, 600))
    (side,) = g.generated_modules(doc(), record, images)
    assert side["contentModuleType"] == "STANDARD_SINGLE_SIDE_IMAGE"
    for module in (overlay, side):
        parse_module(module)


@pytest.mark.parametrize("module_type", g.SINGLE_IMAGE_MODULE_TYPES)
def test_the_stanza_module_type_wins(module_type: str) -> None:
    record, images = basic_record(2)
    modules = g.generated_modules(doc({**STANZA, "module_type": module_type}), record, images)
    assert [m["contentModuleType"] for m in modules] == [module_type] * 2
    for module in modules:
        assert to_api(parse_module(module)) == module


def test_a_module_type_without_one_image_is_a_clear_error() -> None:
    assert g.stanza_problem({**STANZA, "module_type": "STANDARD_TEXT"}) is not None
    assert g.stanza_problem({**STANZA, "module_type": "STANDARD_SINGLE_SIDE_IMAGE"}) is None
    record, images = basic_record(1)
    with pytest.raises(UserError, match="STANDARD_TEXT cannot hold one generated image"):
        g.generated_modules(doc({**STANZA, "module_type": "STANDARD_TEXT"}), record, images)


def test_premium_only_generations_yield_no_modules() -> None:
    record = {"status": "completed", "types": ["A+ Premium"], "variants": {
        "A+ Premium": {"files": [{"path": "x.png", "sha256": "0"}], "preview": None, "error": None}}}
    assert g.generated_modules(doc(), record, {}) == []
    failed_basic = {"types": ["A+ Basic"], "variants": {"A+ Basic": {
        "files": [], "preview": None, "error": {"code": "IMAGE_GENERATION_ERROR", "message": "no"}}}}
    assert g.generated_modules(doc(), failed_basic, {}) == []
    assert g.failed_variants(failed_basic) == [("A+ Basic", "IMAGE_GENERATION_ERROR", "no", 20)]


def test_crop_to_keeps_whole_images_of_the_right_shape() -> None:
    assert g.crop_to(970, 600, (970, 600)) == (970, 600, 0, 0)
    assert g.crop_to(1940, 1200, (970, 600)) == (1940, 1200, 0, 0)
    assert g.crop_to(970, 700, (970, 600)) == (970, 600, 0, 50)


def test_nothing_to_publish_explains_premium_only_and_failed_basic() -> None:
    premium = doc({**STANZA, "types": ["A+ Premium"]})
    reason = g.nothing_to_publish(premium, Lock())
    assert reason is not None and "Seller Central" in reason
    key = g.stanza_hash(STANZA)
    lock = Lock(generations={key: {"status": "completed", "types": STANZA["types"], "variants": {
        "A+ Basic": {"files": [], "preview": None,
                     "error": {"code": "IMAGE_GENERATION_ERROR", "message": "no"}}}}})
    failed = g.nothing_to_publish(doc(), lock)
    assert failed is not None and "IMAGE_GENERATION_ERROR" in failed and "--force" in failed
    assert g.nothing_to_publish(doc(), Lock()) is None        # still to generate
    assert g.nothing_to_publish(doc(None), Lock()) is None


def test_a_recorded_job_id_without_status_is_a_paid_job_to_resume() -> None:
    lock = Lock(generations={g.stanza_hash(STANZA): {"job_id": "job_1"}})
    pending = g.pending_generation(doc(), lock)
    assert pending is not None and pending.reason == "resume" and pending.credits == 0
    assert g.record_status(None) is None and g.record_status({}) is None


def test_module_images_over_the_upload_limit_become_jpegs_that_fit() -> None:
    import io
    import os

    from PIL import Image

    from aplusctl.content.limits import MAX_IMAGE_BYTES

    small = io.BytesIO()
    Image.new("RGB", (970, 600), (200, 10, 10)).save(small, format="PNG")
    assert g.fit_upload_limit(small.getvalue()) == small.getvalue()
    noisy = Image.frombytes("RGB", (1200, 1000), os.urandom(1200 * 1000 * 3))
    big = io.BytesIO()
    noisy.save(big, format="PNG")
    assert big.tell() > MAX_IMAGE_BYTES
    fitted = g.fit_upload_limit(big.getvalue())
    assert fitted.startswith(b"\xff\xd8\xff") and len(fitted) <= MAX_IMAGE_BYTES
    with Image.open(io.BytesIO(fitted)) as image:
        assert image.size == (1200, 1000)
