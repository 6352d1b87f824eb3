"""The pure planner: actions, identity, drift, warnings, uploads — no I/O, no server."""

from __future__ import annotations

import copy
from typing import Any

from aplusctl.engine.fingerprint import stale_reasons
from aplusctl.engine.live import LiveDocument, LivePublishRecord, LiveState
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import asins_hash, body_hash
from aplusctl.engine.plan import make_plan

from aplusctl.content.loader import DesiredDocument
from plan_support import US, desired, header_module, image, text_module

HERO = image("assets/hero.png")


def doc(**kw: Any) -> DesiredDocument:
    base = dict(name="Chef Knife", modules=[text_module("Sharp", "A very sharp knife.")],
                asins=("B000000001", "B000000002"))
    base.update(kw)
    return desired(**base)


def live_of(d: DesiredDocument, lock: Lock, key: str = "k1", status: str = "APPROVED",
            asins: tuple[str, ...] | None = None, body: dict | None = None) -> LiveDocument:
    resolved = body or d.body(US, lambda p: lock.upload_for(d.images[p].sha256, US))
    return LiveDocument(key, US, resolved["name"], status, "2026-01-01T00:00:00Z",
                        document=copy.deepcopy(resolved),
                        asins=tuple(sorted(asins if asins is not None else d.asins)))


def applied(d: DesiredDocument, lock: Lock, key: str = "k1", **kw: Any) -> LiveDocument:
    """Live state and lock exactly as a successful apply would leave them."""
    live = live_of(d, lock, key, **kw)
    lock.record_document(US, d.name, content_reference_key=key,
                         applied_hash=body_hash(live.document), asins_hash=asins_hash(d.asins))
    return live


def state(*docs: LiveDocument, records: dict | None = None) -> LiveState:
    return LiveState((US,), tuple(docs), records or {})


def test_create_with_relate_submit_and_upload() -> None:
    d = doc(modules=[header_module("assets/hero.png")], images={"assets/hero.png": HERO})
    plan = make_plan([d], state(), Lock())
    (c,) = plan.changes
    assert c.address == "US/Chef Knife"
    assert c.actions == ("create", "relate", "submit")
    assert [u.path for u in plan.uploads] == ["assets/hero.png"]
    assert plan.fingerprint["live"] == {"US/Chef Knife": "absent"}
    assert plan.summary.create == 1 and plan.has_changes


def test_freshly_applied_document_has_no_diff() -> None:
    lock = Lock()
    lock.record_upload(HERO.sha256, US, "sc/hero-1.png", "assets/hero.png")
    d = doc(modules=[header_module("assets/hero.png"), text_module("T", "B")],
            images={"assets/hero.png": HERO})
    live = applied(d, lock)
    # the API hands bodies back with nulls, empty lists and a zero crop offset
    body = live.document
    body["contentSubType"] = None
    img = body["contentModuleList"][0]["standardHeaderImageText"]["block"]["image"]
    img["imageCropSpecification"]["offset"] = {"x": {"value": 0, "units": "pixels"},
                                               "y": {"value": 0, "units": "pixels"}}
    body["contentModuleList"][1]["standardText"]["headline"]["decoratorSet"] = []
    plan = make_plan([d], state(live), lock)
    (c,) = plan.changes
    assert c.actions == ("no-op",), c.diff
    assert c.drift == "none" and not plan.uploads and not plan.has_changes
    assert c.unchanged_fields > 5


def test_text_change_is_a_local_update_with_submit() -> None:
    lock = Lock()
    d = doc()
    live = applied(d, lock)
    d2 = doc(modules=[text_module("Sharper", "A very sharp knife.")])
    (c,) = make_plan([d2], state(live), lock).changes
    assert c.actions == ("update", "submit")
    assert c.drift == "local"
    (f,) = c.diff
    assert (f.kind, f.path, f.before, f.after) == (
        "changed", "modules[0].standardText.headline", "Sharp", "Sharper")


def test_live_edit_and_conflict_are_told_apart() -> None:
    lock = Lock()
    d = doc()
    live_body = d.body(US, lambda p: None)
    live_body["contentModuleList"][0]["standardText"]["headline"]["value"] = "Edited in SC"
    applied(d, lock)  # the lock remembers the files' version
    live = live_of(d, lock, body=live_body)
    (c,) = make_plan([d], state(live), lock).changes
    assert c.drift == "live" and "changed live" in c.reason and c.actions[0] == "update"
    d2 = doc(modules=[text_module("Files edit", "A very sharp knife.")])
    (c2,) = make_plan([d2], state(live), lock).changes
    assert c2.drift == "conflict" and "conflict" in c2.reason


def test_relate_only_lists_added_and_removed() -> None:
    lock = Lock()
    d = doc()
    live = applied(d, lock, asins=("B000000001", "B000000009"))
    (c,) = make_plan([d], state(live), lock).changes
    assert c.actions == ("relate",)
    assert c.asins_added == ("B000000002",) and c.asins_removed == ("B000000009",)
    assert any(w.code == "asin-removed" and "B000000009" in w.message for w in c.warnings)


def test_asin_order_does_not_matter_but_module_order_does() -> None:
    lock = Lock()
    m1, m2 = text_module("One", "1"), text_module("Two", "2")
    d = doc(modules=[m1, m2], asins=("B000000002", "B000000001"))
    live = applied(d, lock)
    assert make_plan([d], state(live), lock).changes[0].actions == ("no-op",)
    (c,) = make_plan([doc(modules=[m2, m1])], state(live), lock).changes
    assert c.actions == ("update", "submit")
    assert [f.kind for f in c.diff] == ["module-moved"]


def test_submit_draft_and_rejected_with_reasons() -> None:
    lock = Lock()
    d = doc()
    live = applied(d, lock, status="DRAFT")
    (c,) = make_plan([d], state(live), lock).changes
    assert c.actions == ("submit",) and "DRAFT" in c.reason
    rejected = LiveDocument(**{**live.__dict__, "status": "REJECTED",
                               "rejection_reasons": ("Pricing language",)})
    (c,) = make_plan([d], state(rejected), lock).changes
    assert c.actions == ("submit",)
    assert any("Pricing language" in w.message for w in c.warnings)
    (c,) = make_plan([doc(submit=False)], state(live), lock).changes
    assert c.actions == ("no-op",)


def test_resubmitting_a_document_in_review_is_flagged() -> None:
    lock = Lock()
    live = applied(doc(), lock, status="SUBMITTED")
    (c,) = make_plan([doc(modules=[text_module("New", "x")])], state(live), lock).changes
    assert any(w.code == "resubmit-in-review" for w in c.warnings)


def test_suspend_only_when_file_says_so_and_it_is_visible() -> None:
    lock = Lock()
    d = doc(suspended=True)
    live = applied(d, lock)
    rec = {(US, "B000000001"): (LivePublishRecord(US, "B000000001", "en-US", "k1"),)}
    (c,) = make_plan([d], state(live, records=rec), lock).changes
    assert c.actions == ("suspend",)
    (c,) = make_plan([d], state(live), lock).changes
    assert c.actions == ("no-op",)


def test_prune_suspends_only_lock_managed_documents() -> None:
    lock = Lock()
    gone = applied(doc(name="Old One"), lock, key="k-old")
    stranger = LiveDocument("k-x", US, "Made in SC", "APPROVED", "t", asins=("B000000005",))
    rec = {(US, "B000000001"): (LivePublishRecord(US, "B000000001", "en-US", "k-old"),)}
    live = state(gone, stranger, records=rec)
    plan = make_plan([], live, lock)
    assert plan.changes == () and {u.name for u in plan.unmanaged} == {"Old One", "Made in SC"}

    class Cfg:
        prune = True

    plan = make_plan([], live, lock, Cfg())
    assert [(c.address, c.actions) for c in plan.changes] == [("US/Old One", ("suspend",))]
    assert [u.name for u in plan.unmanaged] == ["Made in SC"]


def test_two_live_documents_of_one_name_is_an_error_until_pinned() -> None:
    a = LiveDocument("k1", US, "Chef Knife", "APPROVED", "t", document=None)
    b = LiveDocument("k2", US, "Chef Knife", "DRAFT", "t", document=None)
    plan = make_plan([doc()], state(a, b), Lock())
    assert plan.changes == ()
    (e,) = plan.errors
    assert "k1, k2" in e.message and "content_reference_key" in e.message
    assert plan.unmanaged == ()
    plan = make_plan([doc(content_reference_key="k2")], state(a, b), Lock())
    assert plan.changes[0].content_reference_key == "k2" and not plan.errors
    assert [u.content_reference_key for u in plan.unmanaged] == ["k1"]


def test_rename_through_previous_names() -> None:
    lock = Lock()
    live = applied(doc(name="Old Name"), lock)
    d = doc(name="Chef Knife", previous_names=("Old Name",))
    (c,) = make_plan([d], state(live), lock).changes
    assert c.previous_name == "Old Name" and c.actions[0] == "update"
    assert any(f.kind == "name" and f.before == "Old Name" for f in c.diff)


def test_asin_owned_by_another_document_is_shown() -> None:
    other = LiveDocument("k-other", US, "Other Doc", "APPROVED", "t")
    rec = {(US, "B000000001"): (LivePublishRecord(US, "B000000001", "en-US", "k-other"),)}
    plan = make_plan([doc()], state(other, records=rec), Lock())
    (c,) = plan.changes
    assert any(w.code == "asin-owned-elsewhere" and "Other Doc" in w.message for w in c.warnings)


def test_new_image_against_the_image_now_live() -> None:
    lock = Lock()
    old = image("assets/old.png")
    lock.record_upload(old.sha256, US, "sc/old.png", "assets/old.png")
    d_old = doc(modules=[header_module("assets/old.png")], images={"assets/old.png": old})
    live = applied(d_old, lock)
    d = doc(modules=[header_module("assets/hero.png")], images={"assets/hero.png": HERO})
    plan = make_plan([d], state(live), lock)
    (c,) = plan.changes
    (f,) = [f for f in c.diff if f.kind == "image"]
    assert f.note == "assets/hero.png, new file (was assets/old.png)"
    assert [u.path for u in plan.uploads] == ["assets/hero.png"]


def test_targets_and_excludes() -> None:
    docs = [doc(name="Chef Knife"), doc(name="Bread Knife"), doc(name="Pan")]
    plan = make_plan(docs, state(), Lock(), targets=["*Knife"], excludes=["Bread*"])
    assert [c.name for c in plan.changes] == ["Chef Knife"]


def test_fingerprint_names_what_changed() -> None:
    lock = Lock()
    d = doc()
    live = applied(d, lock)
    p1 = make_plan([d, doc(name="New")], state(live), lock)
    later = LiveDocument(**{**live.__dict__, "update_time": "2026-02-02T00:00:00Z"})
    created = LiveDocument("k9", US, "New", "DRAFT", "t", document=d.body(US, lambda p: None))
    p2 = make_plan([d, doc(name="New")], state(later, created), lock)
    reasons = stale_reasons(p1.fingerprint, p2.fingerprint)
    assert "US/Chef Knife changed live since the plan was made" in reasons
    assert "US/New was created live since the plan was made" in reasons
    assert stale_reasons(p1.fingerprint, p1.fingerprint) == []


def test_generation_needed_costs_credits_once_recorded_it_is_free() -> None:
    d = doc(generate={"asin": "B000000001", "types": ["A+ Basic", "A+ Premium Mobile"]})
    plan = make_plan([d], state(), Lock())
    assert plan.credits == 50 and plan.changes[0].generation.needed
    lock = Lock()
    lock.generations[plan.changes[0].generation.stanza_hash] = {"job_id": "j"}
    assert make_plan([d], state(), lock).credits == 0


def test_unreadable_live_document_is_an_error_not_an_overwrite() -> None:
    premium = LiveDocument("k1", US, "Chef Knife", "APPROVED", "t",
                           read_error="Unsupported content module type [premium-module-1]")
    plan = make_plan([doc()], state(premium), Lock())
    assert plan.changes == ()
    (e,) = plan.errors
    assert "Premium A+" in e.message and "k1" in e.message


def test_progress_view_is_sparse_off_a_tty() -> None:
    import io

    from aplusctl.cli.plan import ProgressView

    stream = io.StringIO()
    view = ProgressView(stream)
    for n in range(1, 201):
        view(n, 200, "call")
    view.close()
    lines = stream.getvalue().splitlines()
    assert 1 <= len(lines) <= 3 and lines[-1] == "refresh: 200/200 calls done"
    quiet = io.StringIO()
    small = ProgressView(quiet)
    for n in range(1, 6):
        small(n, 5, "call")
    assert quiet.getvalue() == ""


def test_document_renamed_live_is_found_through_the_lock() -> None:
    lock = Lock()
    d = doc()
    live = applied(d, lock)
    body = copy.deepcopy(live.document)
    body["name"] = "Renamed in Seller Central"
    renamed = LiveDocument("k1", US, "Renamed in Seller Central", "APPROVED", "t",
                           document=body, asins=live.asins)
    plan = make_plan([d], state(renamed), lock)
    (c,) = plan.changes
    assert c.content_reference_key == "k1" and c.previous_name == "Renamed in Seller Central"
    assert c.drift == "live" and c.actions[0] == "update"
    assert plan.unmanaged == ()


# --- generate: stanzas that leave nothing for the SP-API (issue 7) ---------------------------

PREMIUM_ONLY = {"asin": "B0CHEFKNF1", "country_code": "US", "types": ["A+ Premium"]}


def test_premium_only_stanza_is_a_warning_not_an_empty_create() -> None:
    from aplusctl.content.generated import stanza_hash
    from aplusctl.render.plan_text import render_text

    d = doc(modules=[], generate=PREMIUM_ONLY)
    plan = make_plan([d], state(), Lock())
    (c,) = plan.changes
    assert c.actions == ("no-op",) and c.notable
    codes = [w.code for w in c.warnings]
    assert codes == ["nothing-to-publish", "premium-assets-only"]
    assert "Seller Central" in c.warnings[0].message
    assert "assets/generated/chef-knife/a-plus-premium/" in c.warnings[1].message
    assert c.generation is not None and c.generation.needed and plan.credits == 20
    text = render_text(plan)
    assert "nothing for the SP-API to publish" in text and "upload them in Seller Central" in text
    assert "0 to create" in text and "20 Pixii credits" in text

    key = stanza_hash(PREMIUM_ONLY)
    lock = Lock(generations={key: {"status": "completed", "types": ["A+ Premium"],
                                   "dir": "assets/generated/chef-knife", "variants": {}}})
    plan = make_plan([d], state(), lock)
    (c,) = plan.changes
    assert c.actions == ("no-op",) and not plan.has_changes and plan.credits == 0
    assert [w.code for w in c.warnings] == ["nothing-to-publish", "premium-assets-only"]
    assert "upload them in Seller Central" in render_text(plan)


def test_failed_basic_generation_is_a_warning_not_an_empty_create() -> None:
    from aplusctl.content.generated import stanza_hash

    stanza = {**PREMIUM_ONLY, "types": ["A+ Basic", "A+ Premium"]}
    lock = Lock(generations={stanza_hash(stanza): {
        "status": "completed", "types": stanza["types"], "dir": "assets/generated/chef-knife",
        "variants": {"A+ Basic": {"files": [], "preview": None,
                                  "error": {"code": "IMAGE_GENERATION_ERROR", "message": "no"}}}}})
    (c,) = make_plan([doc(modules=[], generate=stanza)], state(), lock).changes
    assert c.actions == ("no-op",) and "create" not in c.actions
    nothing, premium = c.warnings
    assert nothing.code == "nothing-to-publish" and "IMAGE_GENERATION_ERROR" in nothing.message
    assert premium.code == "premium-assets-only" and "A+ Premium" in premium.message
