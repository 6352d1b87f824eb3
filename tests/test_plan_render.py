"""Plan views: golden files for text and markdown, the markdown size cap, colour, JSON round trip.

Regenerate the golden files after an intended change with: UPDATE_GOLDEN=1 pytest tests/test_plan_render.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aplusctl.engine.live import LiveDocument, LivePublishRecord
from aplusctl.engine.lock import Lock
from aplusctl.engine.plan import Plan, make_plan
from aplusctl.render.plan_json import load_plan_file, plan_to_dict, render_json
from aplusctl.render.plan_markdown import render_markdown
from aplusctl.render.plan_text import render_text

from test_plan_engine import applied, doc, state
from plan_support import US, header_module, image, text_module

GOLDEN = Path(__file__).parent / "golden" / "plan"
LONG = ("Each blade is forged from a single bar of high-carbon steel, hardened to sixty HRC and "
        "ground by hand to a fifteen-degree edge that glides through tomatoes and herbs.")


def rich_plan() -> Plan:
    """One plan with every kind of change the views must show."""
    lock = Lock()
    old, hero = image("assets/old.png"), image("assets/hero.png")
    lock.record_upload(old.sha256, US, "sc/old-1.png", "assets/old.png")
    m_intro, m_care, m_specs = (text_module("Why it cuts", LONG), text_module("Care", "Hand wash."),
                                text_module("Specs", "20 cm."))
    knife_v1 = doc(name="Chef Knife", path="content/chef-knife.yaml",
                   modules=[header_module("assets/old.png"), m_intro, m_care, m_specs],
                   images={"assets/old.png": old}, asins=("B0KNIFE001", "B0KNIFE002"))
    live_knife = applied(knife_v1, lock, key="key-knife", status="SUBMITTED")
    knife_v2 = doc(name="Chef Knife", path="content/chef-knife.yaml",
                   modules=[header_module("assets/hero.png", headline="Sharper"),
                            text_module("Why it cuts", LONG.replace("glides", "slides")),
                            m_specs, m_care, text_module("Warranty", "Ten years.")],
                   images={"assets/hero.png": hero}, asins=("B0KNIFE001", "B0KNIFE003"))
    board = doc(name="Cutting Board", path="content/board.yaml",
                modules=[header_module("assets/hero.png"), text_module("Oak", "Solid oak.")],
                images={"assets/hero.png": hero}, asins=("B0BOARD001",))
    draft_doc = doc(name="Knife Roll", path="content/roll.yaml", asins=("B0ROLL0001",))
    live_draft = applied(draft_doc, lock, key="key-roll", status="DRAFT")
    gone = doc(name="Gift Box", path="content/gift.yaml", suspended=True, asins=("B0GIFT0001",))
    live_gone = applied(gone, lock, key="key-gift")
    same = doc(name="Honing Rod", path="content/rod.yaml", asins=("B0ROD00001",))
    live_same = applied(same, lock, key="key-rod")
    gen = doc(name="Santoku", path="content/santoku.yaml", modules=[],
              generate={"asin": "B0SANTOKU1", "types": ["A+ Basic", "A+ Premium"]},
              asins=("B0SANTOKU1",))
    dup_a = LiveDocument("key-dup-a", US, "Paring Knife", "APPROVED", "2026-01-01T00:00:00Z")
    dup_b = LiveDocument("key-dup-b", US, "Paring Knife", "DRAFT", "2026-01-01T00:00:00Z")
    paring = doc(name="Paring Knife", path="content/paring.yaml")
    stranger = LiveDocument("key-sc", US, "Made in Seller Central", "APPROVED", "2026-01-01T00:00:00Z")
    records = {
        (US, "B0BOARD001"): (LivePublishRecord(US, "B0BOARD001", "en-US", "key-sc"),),
        (US, "B0GIFT0001"): (LivePublishRecord(US, "B0GIFT0001", "en-US", "key-gift"),),
    }
    live = state(live_knife, live_draft, live_gone, live_same, dup_a, dup_b, stranger,
                 records=records)
    return make_plan([knife_v2, board, draft_doc, gone, same, gen, paring], live, lock,
                     target="sandbox (.aplusctl/sandbox.sqlite)")


def calm_plan() -> Plan:
    lock = Lock()
    d = doc(modules=[text_module("Sharp", "A sharp knife.")])
    return make_plan([d], state(applied(d, lock)), lock, target="SP-API NA (https://sellingpartnerapi-na.amazon.com)")


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text()


@pytest.mark.parametrize("name, plan", [("rich", rich_plan), ("calm", calm_plan)])
def test_text_golden(name: str, plan) -> None:  # type: ignore[no-untyped-def]
    check_golden(f"{name}.txt", render_text(plan()))


@pytest.mark.parametrize("name, plan", [("rich", rich_plan), ("calm", calm_plan)])
def test_markdown_golden(name: str, plan) -> None:  # type: ignore[no-untyped-def]
    check_golden(f"{name}.md", render_markdown(plan()))


def test_rich_plan_covers_every_action() -> None:
    plan = rich_plan()
    actions = {a for c in plan.changes for a in c.actions}
    assert actions == {"create", "update", "relate", "submit", "suspend", "no-op"}
    assert plan.errors and plan.unmanaged and plan.credits == 40
    text = render_text(plan)
    assert text.rstrip().endswith(
        "Plan: 2 to create, 1 to update, 1 to suspend; 3 to relate ASINs, 4 to submit for approval; "
        "1 image to upload; 40 Pixii credits; 1 error.")


def test_no_changes_line() -> None:
    assert render_text(calm_plan()).rstrip().endswith("No changes. Live A+ content matches the files.")


def test_colour_only_when_asked() -> None:
    assert "\x1b[" not in render_text(rich_plan())
    assert "\x1b[32m+\x1b[0m" in render_text(rich_plan(), color=True)


def test_markdown_is_capped_and_says_what_was_cut() -> None:
    plan = rich_plan()
    full = render_markdown(plan)
    capped = render_markdown(plan, max_chars=2500)
    assert len(capped) <= 2500 < len(full)
    assert "Cut to stay under GitHub's comment size limit" in capped
    assert "the details of" in capped


def test_markdown_cap_at_65000_with_hundreds_of_documents() -> None:
    lock = Lock()
    docs = [doc(name=f"Knife {n:03}", modules=[text_module(f"Headline {n}", LONG * 3)])
            for n in range(400)]
    md = render_markdown(make_plan(docs, state(), lock))
    assert len(md) <= 65_000
    assert "Cut to stay under GitHub's comment size limit" in md
    assert "| `+` | `US/Knife 000` |" in md


def test_json_round_trip_and_schema_fields() -> None:
    plan = rich_plan()
    data = json.loads(render_json(plan))
    assert data["format_version"] == 1
    assert set(data["summary"]) == {"create", "update", "relate", "submit", "suspend", "no_op",
                                    "images_to_upload", "pixii_credits", "unmanaged", "errors"}
    for c in data["resource_changes"]:
        assert {"address", "actions", "before", "after", "reason"} <= set(c)
        assert isinstance(c["actions"], list)
    again = load_plan_file(render_json(plan), "plan.json")
    assert plan_to_dict(again) == plan_to_dict(plan)
