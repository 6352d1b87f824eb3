"""`aplusctl status`: live moderation status, rejection reasons, when it changed, which ASINs show it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import Result

from aplusctl.sandbox.server import EmbeddedSandbox

from test_apply_support import cli, example_repo

CHEF = "US/Ferrum & Oak 8-inch chef's knife"
CARE = "US/Ferrum & Oak knife care kit"
BOARD = "US/Ferrum & Oak end-grain cutting board"


@pytest.fixture
def root(tmp_path: Path, sandbox_env: dict[str, str]) -> Path:
    return example_repo(tmp_path / "repo")


def by_address(result: Result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {d["address"]: d for d in json.loads(result.stdout)["documents"]}


def test_status_before_anything_exists(root: Path) -> None:
    docs = by_address(cli(root, "status", "--format", "json"))
    assert len(docs) == 5 and {d["status"] for d in docs.values()} == {"ABSENT"}
    text = cli(root, "status")
    assert "does not exist live" in text.stdout and "Status: 5 absent." in text.stdout


def settle(sandbox: EmbeddedSandbox) -> None:
    httpx.post(sandbox.base_url + "/_sandbox/moderation/settle").raise_for_status()


def test_status_after_apply_and_approval(root: Path, sandbox: EmbeddedSandbox) -> None:
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    settle(sandbox)
    docs = by_address(cli(root, "status", "--format", "json"))
    care = docs[CARE]
    assert care["status"] == "DRAFT" and care["showing_asins"] == []
    assert care["related_asins"] == ["B0FERRUM05", "B0FERRUM06"]
    chef = docs[CHEF]
    assert chef["status"] == "APPROVED" and chef["showing_asins"] == ["B0FERRUM01"]
    assert chef["update_time"] and chef["content_reference_key"]
    text = cli(root, "status", CARE)
    assert "DRAFT" in text.stdout and "related, not shown yet: B0FERRUM05, B0FERRUM06" in text.stdout


def test_status_shows_rejection_reasons(root: Path, sandbox: EmbeddedSandbox) -> None:
    httpx.post(sandbox.base_url + "/_sandbox/moderation", json={
        "outcome": "REJECTED", "reasons": ["Remove the shipping claim."],
    }).raise_for_status()
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    settle(sandbox)
    board = by_address(cli(root, "status", "--format", "json"))[BOARD]
    assert board["status"] == "REJECTED" and board["showing_asins"] == []
    assert any("Remove the shipping claim." in r for r in board["rejection_reasons"])
    text = cli(root, "status", "US/*board*")
    assert text.exit_code == 0
    assert "REJECTED" in text.stdout and "reason: Remove the shipping claim." in text.stdout
    assert "chef" not in text.stdout


def test_status_unknown_name_is_an_error(root: Path) -> None:
    result = cli(root, "status", "No such document")
    assert result.exit_code == 1
    assert "no document matches" in result.stderr
    assert "Traceback" not in result.output


def test_status_finds_a_rename_not_applied_yet(root: Path) -> None:
    assert cli(root, "apply", "--auto-approve").exit_code == 0
    path = root / "content/chef-knife.yaml"
    path.write_text(path.read_text().replace(
        "name: Ferrum & Oak 8-inch chef's knife",
        "name: Chef's knife\nprevious_names: [\"Ferrum & Oak 8-inch chef's knife\"]"))
    doc = by_address(cli(root, "status", "--format", "json"))["US/Chef's knife"]
    assert doc["status"] in ("SUBMITTED", "APPROVED")
    assert doc["note"] == "live under the name \"Ferrum & Oak 8-inch chef's knife\" until apply renames it"
