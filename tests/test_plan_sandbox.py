"""`aplusctl plan` end to end against the sandbox over real HTTP: every action kind, drift,
formats, saved-plan fingerprints, ambiguous names, publish-record conflicts, unmanaged
documents, exit codes, the embedded sandbox default, and no secret in any output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from aplusctl.cli import main
from aplusctl.config import load_config
from aplusctl.content.loader import load_repo
from aplusctl.credentials import SpApiCredentials
from aplusctl.engine.fingerprint import stale_reasons
from aplusctl.engine.lock import load_lock, save_lock
from aplusctl.engine.normalize import asins_hash, body_hash
from aplusctl.render.plan_json import load_plan_file
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import (
    SANDBOX_CLIENT_SECRET,
    SANDBOX_PIXII_KEY,
    SANDBOX_REFRESH_TOKEN,
)
from aplusctl.spapi.client import SpApiClient

US = "ATVPDKIKX0DER"
ASINS = ["B0TESTAA01", "B0TESTAA02"]


def knife_yaml(headline: str = "One blade for every cut", asins: list[str] = ASINS,
               extra: str = "", name: str = "Chef Knife") -> str:
    return f"""name: {name}
marketplaces: [US]
asins: [{", ".join(asins)}]
{extra}modules:
  - standardHeaderImageText:
      headline: {headline}
      block:
        image: {{src: assets/hero.png, alt: The knife}}
        headline: Forged by hand
        body: Each blade is forged from one bar of steel and ground to a keen fifteen-degree edge.
  - standardText:
      headline: Care
      body: Wash by hand and dry at once.
"""


def make_repo(root: Path, files: dict[str, str], sandbox: bool = False) -> Path:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "assets").mkdir(exist_ok=True)
    Image.new("RGB", (970, 600), (200, 120, 40)).save(root / "assets" / "hero.png")
    (root / "aplusctl.yaml").write_text(
        f"account_type: seller\nmarketplaces: [US]\nsandbox: {'true' if sandbox else 'false'}\n")
    for name, text in files.items():
        (root / "content" / name).write_text(text)
    return root


def client_of(sb: EmbeddedSandbox) -> SpApiClient:
    env = sb.env
    return SpApiClient(SpApiCredentials.from_env(env), env["APLUSCTL_SPAPI_ENDPOINT"],
                       env["APLUSCTL_LWA_ENDPOINT"])


async def _seed_apply(sb: EmbeddedSandbox, root: Path, submit: bool) -> dict[str, str]:
    """What a successful apply leaves behind: uploads, documents, relations, lock entries."""
    config = load_config(root)
    loaded = load_repo(root, config)
    assert not loaded.errors, loaded.errors
    lock = load_lock(root)
    keys: dict[str, str] = {}
    async with client_of(sb) as client:
        for doc in loaded.documents:
            for mid in doc.marketplaces:
                for path, image in doc.images.items():
                    if lock.upload_for(image.sha256, mid):
                        continue
                    dest = await client.create_upload_destination(mid, image.md5_b64, image.mime)
                    await client.upload(dest, (root / path).read_bytes(), image.mime, Path(path).name)
                    lock.record_upload(image.sha256, mid, dest.upload_destination_id, path)
                body = doc.body(mid, lambda p: lock.upload_for(doc.images[p].sha256, mid))
                key = await client.create_content_document(mid, body)
                await client.post_content_document_asin_relations(key, mid, list(doc.asins))
                if submit:
                    await client.post_content_document_approval_submission(key, mid)
                lock.record_document(mid, doc.name, content_reference_key=key,
                                     applied_hash=body_hash(body), asins_hash=asins_hash(doc.asins))
                keys[doc.name] = key
    save_lock(root, lock)
    if submit:
        httpx.post(sb.base_url + "/_sandbox/moderation/settle").raise_for_status()
    return keys


def seed_apply(sb: EmbeddedSandbox, root: Path, submit: bool = True) -> dict[str, str]:
    return asyncio.run(_seed_apply(sb, root, submit))


def live_call(sb: EmbeddedSandbox, fn: Callable[[SpApiClient], Any]) -> Any:
    async def run() -> Any:
        async with client_of(sb) as client:
            return await fn(client)

    return asyncio.run(run())


def plan_cli(root: Path, env: dict[str, str], *args: str, verbose: bool = False) -> Any:
    pre = ["-vv"] if verbose else []
    return CliRunner().invoke(main, ["-C", str(root), "--no-color", *pre, "plan", *args], env=env)


@pytest.fixture
def sb(make_sandbox: Callable[..., EmbeddedSandbox]) -> EmbeddedSandbox:
    return make_sandbox(rate_scale=0)


def test_create_then_applied_then_no_changes(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    r = plan_cli(root, sb.env)
    assert r.exit_code == 0, r.output
    assert "+ US/Chef Knife" in r.output
    assert "Plan: 1 to create, 0 to update, 0 to suspend" in r.output
    assert "1 image to upload" in r.output
    assert f"Target: SP-API at {sb.base_url}" in r.output
    assert plan_cli(root, sb.env, "--detailed-exitcode").exit_code == 2

    seed_apply(sb, root)
    r = plan_cli(root, sb.env, "--detailed-exitcode")
    assert r.exit_code == 0, r.output
    assert "No changes. Live A+ content matches the files." in r.output


def test_local_live_and_conflicting_changes(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    keys = seed_apply(sb, root)
    key = keys["Chef Knife"]

    (root / "content" / "knife.yaml").write_text(knife_yaml(headline="Sharper than ever"))
    data = json.loads(plan_cli(root, sb.env, "--format", "json").output)
    (c,) = data["resource_changes"]
    assert c["actions"] == ["update", "submit"] and c["drift"]["kind"] == "local"
    assert c["diff"][0]["path"] == "modules[0].standardHeaderImageText.headline"
    assert (c["diff"][0]["before"], c["diff"][0]["after"]) == (
        "One blade for every cut", "Sharper than ever")

    # someone edits the document in Seller Central
    async def edit(client: SpApiClient) -> None:
        got = await client.get_content_document(key, US)
        doc = got["contentRecord"]["contentDocument"]
        doc["contentModuleList"][1]["standardText"]["headline"]["value"] = "Edited live"
        await client.update_content_document(key, US, doc)

    live_call(sb, edit)
    (root / "content" / "knife.yaml").write_text(knife_yaml())
    r = plan_cli(root, sb.env)
    assert "changed live (e.g. in Seller Central)" in r.output, r.output
    assert '"Edited live" → "Care"' in r.output

    (root / "content" / "knife.yaml").write_text(knife_yaml(headline="Sharper than ever"))
    data = json.loads(plan_cli(root, sb.env, "--format", "json").output)
    assert data["resource_changes"][0]["drift"]["kind"] == "conflict"
    assert "conflict" in data["resource_changes"][0]["reason"]


def test_relate_submit_and_rejection_reasons(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    keys = seed_apply(sb, root, submit=False)
    data = json.loads(plan_cli(root, sb.env, "--format", "json").output)
    (c,) = data["resource_changes"]
    assert c["actions"] == ["submit"] and c["live_status"] == "DRAFT"

    (root / "content" / "knife.yaml").write_text(knife_yaml(asins=["B0TESTAA01", "B0TESTAA03"]))
    r = plan_cli(root, sb.env)
    assert "relate ASINs (+1 -1)" in r.output
    assert "B0TESTAA02 is removed from the ASIN set and loses this content" in r.output

    httpx.post(sb.base_url + "/_sandbox/moderation", json={
        "content_reference_key": keys["Chef Knife"], "outcome": "REJECTED",
        "reasons": ["Pricing language is not allowed"]}).raise_for_status()
    live_call(sb, lambda c: c.post_content_document_approval_submission(keys["Chef Knife"], US))
    httpx.post(sb.base_url + "/_sandbox/moderation/settle").raise_for_status()
    (root / "content" / "knife.yaml").write_text(knife_yaml())
    data = json.loads(plan_cli(root, sb.env, "--format", "json").output)
    (c,) = data["resource_changes"]
    assert c["live_status"] == "REJECTED" and c["actions"] == ["submit"]
    assert any("Pricing language" in r for r in c["rejection_reasons"]), c


def test_suspend_and_resubmission_warning(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    seed_apply(sb, root)  # approved and published on both ASINs
    (root / "content" / "knife.yaml").write_text(knife_yaml(extra="status: suspended\n"))
    r = plan_cli(root, sb.env, "--detailed-exitcode")
    assert r.exit_code == 2 and "- US/Chef Knife" in r.output and "1 to suspend" in r.output


def test_in_review_resubmission_is_flagged(make_sandbox: Callable[..., EmbeddedSandbox],
                                           tmp_path: Path) -> None:
    sb = make_sandbox(rate_scale=0, moderation_seconds=3600)
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    keys = seed_apply(sb, root, submit=False)
    live_call(sb, lambda c: c.post_content_document_approval_submission(keys["Chef Knife"], US))
    (root / "content" / "knife.yaml").write_text(knife_yaml(headline="New words"))
    r = plan_cli(root, sb.env)
    assert "still in review (SUBMITTED): this update resubmits it and restarts review" in r.output


def test_ambiguous_names_are_an_error_until_pinned(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    keys = seed_apply(sb, root)
    body = {"name": "Chef Knife", "contentType": "EBC", "locale": "en-US", "contentModuleList": [
        {"contentModuleType": "STANDARD_TEXT",
         "standardText": {"body": {"textList": [{"value": "A copy made in Seller Central."}]}}}]}
    other = live_call(sb, lambda c: c.create_content_document(US, body))
    r = plan_cli(root, sb.env, "--detailed-exitcode")
    assert r.exit_code == 1
    assert "2 live documents are named 'Chef Knife' in US" in r.output
    assert "pin one with content_reference_key" in r.output

    pinned = knife_yaml(extra=f"content_reference_key: {keys['Chef Knife']}\n")
    (root / "content" / "knife.yaml").write_text(pinned)
    r = plan_cli(root, sb.env, "--detailed-exitcode")
    assert r.exit_code == 0, r.output
    assert other in r.output and "Unmanaged" in r.output


def test_publish_record_conflict_and_unmanaged(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    other_root = make_repo(tmp_path / "other", {"o.yaml": knife_yaml(name="Old Page")})
    seed_apply(sb, other_root)  # "Old Page" is approved and shown on both ASINs
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    r = plan_cli(root, sb.env)
    assert "B0TESTAA01 shows 'Old Page' now; applying replaces it with this document" in r.output
    assert "Unmanaged: live documents no file declares" in r.output
    assert "US/Old Page" in r.output


def test_saved_plan_fingerprint_goes_stale(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    out = tmp_path / "plan.json"
    r = plan_cli(root, sb.env, "--out", str(out))
    assert r.exit_code == 0 and "Saved the plan" in r.output
    saved = load_plan_file(out.read_text(), str(out))
    assert saved.fingerprint["live"] == {"US/Chef Knife": "absent"}
    assert saved.changes[0].actions == ("create", "relate", "submit")

    keys = seed_apply(sb, root)  # the document now exists: the saved plan is stale
    out2 = tmp_path / "plan2.json"
    plan_cli(root, sb.env, "--out", str(out2))
    fresh = load_plan_file(out2.read_text(), str(out2))
    assert stale_reasons(saved.fingerprint, fresh.fingerprint) == [
        "US/Chef Knife was created live since the plan was made"]

    live_call(sb, lambda c: c.post_content_document_asin_relations(keys["Chef Knife"], US, ASINS[:1]))
    plan_cli(root, sb.env, "--out", str(out))
    later = load_plan_file(out.read_text(), str(out))
    assert stale_reasons(fresh.fingerprint, later.fingerprint) == [
        "US/Chef Knife changed live since the plan was made"]

    (root / "content" / "knife.yaml").write_text(knife_yaml(headline="Edited"))
    plan_cli(root, sb.env, "--out", str(out2))
    edited = load_plan_file(out2.read_text(), str(out2))
    assert stale_reasons(later.fingerprint, edited.fingerprint) == [
        "content/knife.yaml changed since the plan was made"]


def test_formats_targets_and_no_secrets(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {
        "knife.yaml": knife_yaml(),
        "board.yaml": knife_yaml(name="Cutting Board", asins=["B0TESTAA09"]),
    })
    out = tmp_path / "p.json"
    outputs = []
    for fmt in ("text", "markdown", "json"):
        r = plan_cli(root, sb.env, "--format", fmt, "--out", str(out), verbose=True)
        assert r.exit_code == 0, r.output
        outputs += [r.output, out.read_text()]
    md = outputs[2]
    assert "| `+` | `US/Chef Knife` |" in md and "<details>" in md
    data = json.loads(outputs[4])
    assert data["format_version"] == 1 and data["summary"]["create"] == 2
    for text in outputs:
        for secret in (SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_PIXII_KEY):
            assert secret not in text

    r = plan_cli(root, sb.env, "--format", "json", "--target", "*Knife")
    assert [c["name"] for c in json.loads(r.output)["resource_changes"]] == ["Chef Knife"]
    r = plan_cli(root, sb.env, "--format", "json", "--exclude", "content/knife.yaml")
    assert [c["name"] for c in json.loads(r.output)["resource_changes"]] == ["Cutting Board"]
    r = plan_cli(root, sb.env, "--format", "json", "--marketplace", "DE")
    assert json.loads(r.output)["resource_changes"] == []
    r = plan_cli(root, sb.env, "--marketplace", "XX")
    assert r.exit_code == 1 and "is not a marketplace" in r.output


def test_content_errors_exit_1_without_traceback(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"knife.yaml": "name: X\nmarketplaces: [US]\nmodules: nope\n"})
    r = plan_cli(root, sb.env, "--detailed-exitcode")
    assert r.exit_code == 1
    assert "content/knife.yaml:" in r.output and "Traceback" not in r.output
    (root / "aplus.lock").write_text("{broken")
    (root / "content" / "knife.yaml").write_text(knife_yaml())
    r = plan_cli(root, sb.env)
    assert r.exit_code == 1 and "aplus.lock is not valid JSON" in r.output


def test_embedded_sandbox_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APLUSCTL_SPAPI_ENDPOINT", "APLUSCTL_LWA_ENDPOINT", "LWA_APP_ID",
                 "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN", "PIXII_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()}, sandbox=True)
    r = CliRunner().invoke(main, ["-C", str(root), "plan"])
    assert r.exit_code == 0, r.output
    assert "Target: sandbox (.aplusctl/sandbox.sqlite)" in r.output
    assert (root / ".aplusctl" / "sandbox.sqlite").is_file()
    assert "Plan: 1 to create" in r.output


def test_no_secret_in_verbose_logs_of_a_real_process(sb: EmbeddedSandbox, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = make_repo(tmp_path / "repo", {"knife.yaml": knife_yaml()})
    exe = Path(sys.executable).with_name("aplusctl")
    out = tmp_path / "plan.json"
    for fmt in ("markdown",):  # the other formats: test_formats_targets_and_no_secrets; --out is JSON
        proc = subprocess.run(
            [str(exe), "-C", str(root), "-vv", "plan", "--format", fmt, "--out", str(out)],
            env={**os.environ, **sb.env}, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "LWA token" in proc.stderr  # the call log is on
        for text in (proc.stdout, proc.stderr, out.read_text()):
            for secret in (SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, SANDBOX_PIXII_KEY):
                assert secret not in text
