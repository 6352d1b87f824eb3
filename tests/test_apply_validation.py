"""Validation errors stop only their document; warnings are always shown."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from aplusctl.engine.lock import load_lock
from aplusctl.sandbox.server import EmbeddedSandbox

from test_apply_support import cli, example_repo


@pytest.fixture
def root(tmp_path: Path, sandbox_env: dict[str, str]) -> Path:
    return example_repo(tmp_path / "repo")


def test_validation_errors_stop_only_their_document(root: Path) -> None:
    path = root / "content/cutting-board.yaml"
    path.write_text(path.read_text().replace("Kind to your edges", "Kind to your edges, guaranteed"))
    result = cli(root, "apply", "--auto-approve")
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "US/Ferrum & Oak end-grain cutting board: validate:" in out
    assert "CONTENT_FAILED_VALIDATION" in out and "guaranteed" in out
    assert "Apply failed: 1 document of 4 failed; 3 created" in out
    lock = load_lock(root)
    assert "ATVPDKIKX0DER/Ferrum & Oak end-grain cutting board" not in lock.documents
    assert len(lock.documents) == 3
    # its images were uploaded and kept: fixing the text needs no new upload
    path.write_text(path.read_text().replace(", guaranteed", ""))
    fixed = cli(root, "apply", "--auto-approve", "--format", "json")
    assert fixed.exit_code == 0, fixed.output
    summary = json.loads(fixed.stdout)["summary"]
    assert summary["created"] == 1 and summary["images_uploaded"] == 0
    assert cli(root, "plan", "--detailed-exitcode").exit_code == 0


def test_asin_warnings_are_shown(root: Path, sandbox: EmbeddedSandbox) -> None:
    assert cli(root, "apply", "--auto-approve").exit_code == 0   # the care kit stays a DRAFT
    httpx.post(sandbox.base_url + "/_sandbox/catalog",
               json={"asins": ["B0FERRUM06"], "state": "other_brand"}).raise_for_status()
    path = root / "content/knife-care.yaml"
    path.write_text(path.read_text().replace("submit: false", "submit: true"))
    result = cli(root, "apply", "--auto-approve", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (doc,) = data["documents"]
    assert doc["steps_done"] == ["submit"]
    assert {"code": "ASIN_FAILED_VALIDATION", "details": "B0FERRUM06"}.items() <= doc["warnings"][0].items()
    assert "ASIN_FAILED_VALIDATION" in result.stderr  # progress lines show it as it happens
