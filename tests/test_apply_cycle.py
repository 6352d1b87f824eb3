"""`aplusctl apply` end to end against the sandbox: create → update → relate → submit → suspend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from aplusctl.cli import main
from aplusctl.engine.lock import load_lock
from aplusctl.sandbox.server import EmbeddedSandbox

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "content"
CHEF = "content/chef-knife.yaml"
CARE = "content/knife-care.yaml"
US = "ATVPDKIKX0DER"


def copy_examples(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".aplusctl", "aplus.lock"))
    return root


def cli(root: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["-C", str(root), *args], input=input, catch_exceptions=False)


def live_names(sandbox: EmbeddedSandbox, marketplace_id: str = US) -> list[str]:
    """Every live document name in a marketplace, straight from the sandbox's own HTTP API."""
    from aplusctl.credentials import SpApiCredentials
    from aplusctl.spapi.client import SpApiClient
    import asyncio

    async def names() -> list[str]:
        creds = SpApiCredentials.from_env(sandbox.env)
        async with SpApiClient(creds, sandbox.base_url, sandbox.env["APLUSCTL_LWA_ENDPOINT"]) as c:
            return [r["contentMetadata"]["name"] async for r in c.search_content_documents(marketplace_id)]

    return asyncio.run(names())


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def root(tmp_path: Path, sandbox_env: dict[str, str]) -> Path:
    return copy_examples(tmp_path)


def test_full_cycle_converges_and_is_idempotent(root: Path, sandbox: EmbeddedSandbox) -> None:
    first = cli(root, "apply", "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "Apply complete: 5 created, 26 images uploaded, 4 submitted for approval." in first.stdout
    lock = load_lock(root)
    assert len(lock.documents) == 5
    assert sum(len(v) for v in lock.uploads.values()) == 26  # 21 files + 5 Pixii generated
    assert all(e.get("applied_hash") and e.get("content_reference_key") for e in lock.documents.values())

    again = cli(root, "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    second = cli(root, "apply", "--auto-approve")
    assert second.exit_code == 0
    assert "No changes" in second.stdout
    assert sorted(live_names(sandbox)) == sorted(set(live_names(sandbox)))  # no duplicates

    # update content and add an ASIN: one update (with a relate), resubmitted
    edit(root, CHEF, "One blade for every cut", "One blade for nearly every cut")
    edit(root, CHEF, "asins: [B0FERRUM01]", "asins: [B0FERRUM01, B0FERRUM02]")
    third = cli(root, "apply", "--auto-approve")
    assert third.exit_code == 0, third.output
    assert "Apply complete: 1 updated, 1 ASIN set related, 1 submitted for approval." in third.stdout
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0

    # relate only (ASIN set change on the draft document, which stays a draft: submit: false)
    edit(root, CARE, "asins: [B0FERRUM05, B0FERRUM06]", "asins: [B0FERRUM05]")
    fourth = cli(root, "apply", "--auto-approve", "--format", "json")
    assert fourth.exit_code == 0, fourth.output
    data = json.loads(fourth.stdout)
    assert data["ok"] is True and data["summary"]["related"] == 1 and data["summary"]["submitted"] == 0
    (doc,) = data["documents"]
    assert doc["address"] == "US/Ferrum & Oak knife care kit" and "relate" in doc["steps_done"]

    # suspend: the file says status: suspended (the chef's knife is live on its ASINs)
    cli(root, "apply", "--auto-approve", "--wait", "--timeout", "20")  # let moderation publish it
    edit(root, CHEF, "asins: [", "status: suspended\nasins: [")
    fifth = cli(root, "apply", "--auto-approve")
    assert fifth.exit_code == 0, fifth.output
    assert "1 suspended" in fifth.stdout
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0
    assert len(live_names(sandbox)) == len(set(live_names(sandbox))) == 4


def test_wait_reports_moderation_outcome(root: Path) -> None:
    result = cli(root, "apply", "--auto-approve", "--wait", "--timeout", "30")
    assert result.exit_code == 0, result.output
    assert "APPROVED" in result.stdout
    assert "Status: 4 approved." in result.stdout  # the draft (submit: false) is not waited for


def test_wait_rejection_exits_1_with_reasons(root: Path, sandbox: EmbeddedSandbox) -> None:
    httpx.post(sandbox.base_url + "/_sandbox/moderation",
               json={"outcome": "REJECTED", "reasons": ["Pricing claims are not allowed."]}).raise_for_status()
    result = cli(root, "apply", "--auto-approve", "--wait", "--timeout", "30", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    statuses = {d["status"] for d in data["moderation"]["documents"]}
    assert statuses == {"REJECTED"}
    assert "Pricing claims are not allowed." in data["moderation"]["documents"][0]["rejection_reasons"][0]


def test_no_tty_without_auto_approve_refuses(root: Path, sandbox: EmbeddedSandbox) -> None:
    result = cli(root, "apply")
    assert result.exit_code == 1
    assert "stdin is not a terminal" in result.stderr
    assert "Traceback" not in result.output
    assert live_names(sandbox) == []


def test_bad_content_stops_before_any_call(root: Path, sandbox: EmbeddedSandbox) -> None:
    edit(root, CHEF, "asins: [B0FERRUM01]", "asins: [B0FERRUM01]\nnot_a_key: 1")
    result = cli(root, "apply", "--auto-approve")
    assert result.exit_code == 1
    assert "content/chef-knife.yaml" in result.stderr
    assert "Traceback" not in result.output
    assert live_names(sandbox) == []


def test_rename_and_prune(root: Path, sandbox: EmbeddedSandbox) -> None:
    assert cli(root, "apply", "--auto-approve", "--wait", "--timeout", "30").exit_code == 0
    old_key = load_lock(root).document(US, "Ferrum & Oak 8-inch chef's knife")["content_reference_key"]

    edit(root, CHEF, "name: Ferrum & Oak 8-inch chef's knife",
         "name: Ferrum & Oak chef's knife, 8 in\nprevious_names: [\"Ferrum & Oak 8-inch chef's knife\"]")
    renamed = cli(root, "apply", "--auto-approve")
    assert renamed.exit_code == 0, renamed.output
    assert "renamed from" in renamed.stdout and "1 updated" in renamed.stdout
    lock = load_lock(root)
    assert lock.document(US, "Ferrum & Oak 8-inch chef's knife") is None
    assert lock.document(US, "Ferrum & Oak chef's knife, 8 in")["content_reference_key"] == old_key
    assert "Ferrum & Oak chef's knife, 8 in" in live_names(sandbox)
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0

    (root / "aplusctl.yaml").write_text((root / "aplusctl.yaml").read_text() + "prune: true\n")
    (root / "content/cutting-board.yaml").unlink()
    pruned = cli(root, "apply", "--auto-approve")
    assert pruned.exit_code == 0, pruned.output
    assert "Apply complete: 1 suspended." in pruned.stdout
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0


def test_target_and_exclude_limit_what_is_applied(root: Path, sandbox: EmbeddedSandbox) -> None:
    only = cli(root, "apply", "--auto-approve", "--target", "US/*board*", "--parallelism", "1")
    assert only.exit_code == 0, only.output
    assert "Apply complete: 1 created, 6 images uploaded, 1 submitted for approval." in only.stdout
    assert live_names(sandbox) == ["Ferrum & Oak end-grain cutting board"]
    rest = cli(root, "apply", "--auto-approve", "--exclude", "content/knife-care.yaml")
    assert rest.exit_code == 0, rest.output
    assert "Apply complete: 3 created" in rest.stdout  # the chef's knives (US, DE) and the paring knife
    assert "Ferrum & Oak knife care kit" not in live_names(sandbox)


def test_an_image_shared_by_documents_is_uploaded_once(root: Path, sandbox: EmbeddedSandbox) -> None:
    for path in (root / "content").iterdir():
        path.unlink()
    for twin in ("A", "B", "C"):
        (root / "content" / f"twin-{twin}.yaml").write_text(
            f"name: Twin {twin}\nmarketplaces: [US]\nasins: [B0TWIN000{twin}]\nmodules:\n"
            "  - standardCompanyLogo:\n      companyLogo: {src: assets/logo.png, alt: Logo}\n"
        )
    result = cli(root, "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 3 created, 1 image uploaded, 3 submitted for approval." in result.stdout
    assert sum(len(v) for v in load_lock(root).uploads.values()) == 1


def test_wait_times_out_while_still_in_review(tmp_path: Path, make_sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox = make_sandbox(moderation_seconds=60, rate_scale=0)
    root = copy_examples(tmp_path)
    result = CliRunner().invoke(main, ["-C", str(root), "apply", "--auto-approve", "--wait",
                                       "--timeout", "0.3", "--poll-interval", "0.1"], env=sandbox.env)
    assert result.exit_code == 1, result.output
    assert "Apply complete: 5 created" in result.stdout
    assert "Still in review after 0.3 s" in result.stdout
    assert "SUBMITTED" in result.stdout
