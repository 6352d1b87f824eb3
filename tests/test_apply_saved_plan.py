"""`aplusctl apply PLANFILE`: no prompt, but a stale plan is refused and names what changed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aplusctl.cli import main
from aplusctl.credentials import SpApiCredentials
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi.client import SpApiClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "content"
US = "ATVPDKIKX0DER"
CHEF_NAME = "Ferrum & Oak 8-inch chef's knife"
CHEF_ADDR = f"US/{CHEF_NAME}"


def cli(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)


def _text_doc(name: str, text: str) -> dict:
    return {
        "name": name, "contentType": "EBC", "locale": "en-US",
        "contentModuleList": [{"contentModuleType": "STANDARD_TEXT",
                               "standardText": {"body": {"textList": [{"value": text}]}}}],
    }


def sp(sandbox: EmbeddedSandbox, fn) -> object:
    """Run `fn(client)` against the sandbox with a fresh client (the 'someone else' in Seller Central)."""

    async def go() -> object:
        creds = SpApiCredentials.from_env(sandbox.env)
        async with SpApiClient(creds, sandbox.base_url, sandbox.env["APLUSCTL_LWA_ENDPOINT"]) as c:
            return await fn(c)

    return asyncio.run(go())


async def _names(c: SpApiClient) -> list[str]:
    return [r["contentMetadata"]["name"] async for r in c.search_content_documents(US)]


@pytest.fixture
def root(tmp_path: Path, sandbox_env: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".aplusctl", "aplus.lock"))
    return root


def test_saved_plan_applies_without_prompt(root: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    made = cli(root, "plan", "--out", str(plan_file))
    assert made.exit_code == 0, made.output
    result = cli(root, "apply", str(plan_file))  # stdin is not a TTY: a saved plan needs no prompt
    assert result.exit_code == 0, result.output
    assert "Pixii credits spent, 5 created" in result.stdout
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0


def test_stale_plan_refused_when_live_changed(root: Path, tmp_path: Path, sandbox: EmbeddedSandbox) -> None:
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    (root / "content/chef-knife.yaml").write_text(
        (root / "content/chef-knife.yaml").read_text().replace("every cut", "each cut"))
    plan_file = tmp_path / "plan.json"
    assert cli(root, "plan", "--out", str(plan_file)).exit_code == 0

    async def edit_live(c: SpApiClient) -> None:
        async for r in c.search_content_documents(US):
            if r["contentMetadata"]["name"] == CHEF_NAME:
                await c.update_content_document(r["contentReferenceKey"], US, _text_doc(CHEF_NAME, "Edited in Seller Central"))

    sp(sandbox, edit_live)
    result = cli(root, "apply", str(plan_file))
    assert result.exit_code == 1
    assert f"{CHEF_ADDR} changed live since the plan was made" in result.stderr
    assert "run plan again" in result.stderr.lower()
    assert "Traceback" not in result.output


def test_stale_plan_refused_when_a_planned_create_now_exists(
    root: Path, tmp_path: Path, sandbox: EmbeddedSandbox
) -> None:
    plan_file = tmp_path / "plan.json"
    assert cli(root, "plan", "--out", str(plan_file)).exit_code == 0   # empty state: all absent
    sp(sandbox, lambda c: c.create_content_document(US, _text_doc(CHEF_NAME, "Made by hand")))
    result = cli(root, "apply", str(plan_file))
    assert result.exit_code == 1
    assert f"{CHEF_ADDR} was created live since the plan was made" in result.stderr
    assert sp(sandbox, _names) == [CHEF_NAME]  # nothing applied, no duplicate


def test_stale_plan_refused_when_files_changed(root: Path, tmp_path: Path, sandbox: EmbeddedSandbox) -> None:
    plan_file = tmp_path / "plan.json"
    assert cli(root, "plan", "--out", str(plan_file)).exit_code == 0
    path = root / "content/knife-care.yaml"
    path.write_text(path.read_text().replace("Sharp knives are safe knives", "Sharp knives, safe hands"))
    result = cli(root, "apply", str(plan_file))
    assert result.exit_code == 1
    assert "content/knife-care.yaml changed since the plan was made" in result.stderr
    assert sp(sandbox, _names) == []


def test_saved_plan_rejects_scope_flags_and_bad_files(root: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert cli(root, "plan", "--out", str(plan_file)).exit_code == 0
    scoped = cli(root, "apply", str(plan_file), "--target", "US/*")
    assert scoped.exit_code == 1 and "cannot be used with a saved plan" in scoped.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    bad = cli(root, "apply", str(junk))
    assert bad.exit_code == 1 and "not valid JSON" in bad.stderr
    missing = cli(root, "apply", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1 and "cannot read" in missing.stderr
