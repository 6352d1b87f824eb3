"""Injected faults (5xx, 429, dropped connections) never cause duplicates, and apply converges."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from aplusctl.credentials import SpApiCredentials
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi.client import SpApiClient

from test_apply_support import US, cli, example_repo, live


def fault(sandbox: EmbeddedSandbox, **body: object) -> None:
    httpx.post(sandbox.base_url + "/_sandbox/faults", json=body).raise_for_status()


def requests_of(sandbox: EmbeddedSandbox, operation: str) -> list[dict]:
    r = httpx.get(sandbox.base_url + "/_sandbox/requests", params={"operation": operation})
    return r.json()["requests"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return example_repo(tmp_path / "repo")


def test_ten_percent_faults_converge_without_duplicates(
    root: Path, make_sandbox: Callable[..., EmbeddedSandbox]
) -> None:
    sandbox = make_sandbox()  # the real usage plans: our own 429s would show here too
    # a few sure faults first (first match wins), so every run meets some whatever the dice say
    fault(sandbox, operation="createContentDocument", kind="500", count=1)
    fault(sandbox, operation="createUploadDestinationForResource", kind="503", count=1)
    fault(sandbox, operation="s3:PostObject", kind="drop", count=1)
    for kind in ("500", "429", "drop"):  # first match wins: ~3.4% each, ~10% of calls in all
        fault(sandbox, operation="*", kind=kind, rate=0.035)
        fault(sandbox, operation="s3:PostObject", kind=kind if kind != "429" else "503", rate=0.035)
    runs = []
    for _ in range(6):
        result = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
        assert "Traceback" not in result.output
        runs.append(result.exit_code)
        if result.exit_code == 0:
            break
        assert result.exit_code == 1
    assert runs[-1] == 0, runs
    log = httpx.get(sandbox.base_url + "/_sandbox/requests").json()["requests"]
    failed = [e for e in log if e["status"] >= 429]
    assert len(failed) >= 2, f"only {len(failed)} faults in {len(log)} calls"
    httpx.delete(sandbox.base_url + "/_sandbox/faults").raise_for_status()
    docs = live(sandbox)
    assert len(docs) == len(set(docs)) == 5, docs
    plan = cli(root, "plan", "--detailed-exitcode", env=sandbox.env)
    assert plan.exit_code == 0, plan.output


def knife_care_only(root: Path) -> None:
    for path in (root / "content").iterdir():
        if path.name != "knife-care.yaml":
            path.unlink()


KNIFE_CARE = [(US, "Ferrum & Oak knife care kit")]


def test_create_whose_answer_was_lost_after_storing_is_found_by_name(
    root: Path, make_sandbox: Callable[..., EmbeddedSandbox]
) -> None:
    """drop_after: the server stored the document; the re-search finds it in the same run."""
    sandbox = make_sandbox(rate_scale=0)
    knife_care_only(root)
    fault(sandbox, operation="createContentDocument", kind="drop_after", count=1)
    result = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
    assert result.exit_code == 0, result.output
    assert "no answer to create" in result.stderr
    assert json.loads(result.stdout)["summary"]["created"] == 1
    assert live(sandbox) == KNIFE_CARE
    assert len(requests_of(sandbox, "createContentDocument")) == 1
    assert cli(root, "plan", "--detailed-exitcode", env=sandbox.env).exit_code == 0


@pytest.mark.parametrize("kind", ["drop", "500", "503"])
def test_create_without_an_answer_is_never_repeated_in_the_same_run(
    root: Path, make_sandbox: Callable[..., EmbeddedSandbox], kind: str
) -> None:
    """Not stored and not listed: this run stops the document; the next run creates it."""
    sandbox = make_sandbox(rate_scale=0)
    knife_care_only(root)
    fault(sandbox, operation="createContentDocument", kind=kind, count=1)
    first = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
    assert first.exit_code == 1, first.output
    assert "no answer to create" in first.stderr
    assert "may have reached Amazon; run apply again in a few minutes" in first.stdout
    assert len(requests_of(sandbox, "createContentDocument")) == 1
    assert live(sandbox) == []
    second = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["summary"]["created"] == 1
    assert live(sandbox) == KNIFE_CARE
    assert cli(root, "plan", "--detailed-exitcode", env=sandbox.env).exit_code == 0


def test_create_hidden_by_a_lagging_listing_is_adopted_by_the_next_run(
    root: Path, make_sandbox: Callable[..., EmbeddedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Amazon's listing can lag a create: the re-search misses it, so the run stops that document
    rather than create it again, and the next run's fresh read adopts it."""
    from aplusctl.engine.apply.create import Creator

    sandbox = make_sandbox(rate_scale=0)
    knife_care_only(root)
    fault(sandbox, operation="createContentDocument", kind="drop_after", count=1)
    real = Creator._read_names

    async def lagging(self: Creator, marketplace_id: str) -> dict:
        names = await real(self, marketplace_id)
        return {} if requests_of(sandbox, "createContentDocument") else names

    monkeypatch.setattr(Creator, "_read_names", lagging)
    first = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
    assert first.exit_code == 1, first.output
    assert "run apply again in a few minutes" in first.stdout
    assert live(sandbox) == KNIFE_CARE
    monkeypatch.setattr(Creator, "_read_names", real)
    second = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["summary"]["created"] == 0
    assert live(sandbox) == KNIFE_CARE            # never two documents of one name
    assert len(requests_of(sandbox, "createContentDocument")) == 1
    assert cli(root, "plan", "--detailed-exitcode", env=sandbox.env).exit_code == 0


def test_live_document_of_the_same_name_is_adopted_not_duplicated(
    root: Path, make_sandbox: Callable[..., EmbeddedSandbox]
) -> None:
    """A create that a crash hid from aplus.lock and from the plan is found by the fresh read."""
    sandbox = make_sandbox(rate_scale=0)
    knife_care_only(root)
    # the plan sees nothing; the document appears between the plan's read and the create
    async def create() -> None:
        creds = SpApiCredentials.from_env(sandbox.env)
        async with SpApiClient(creds, sandbox.base_url, sandbox.env["APLUSCTL_LWA_ENDPOINT"]) as c:
            await c.create_content_document(US, {
                "name": "Ferrum & Oak knife care kit", "contentType": "EBC", "locale": "en-US",
                "contentModuleList": [{"contentModuleType": "STANDARD_TEXT",
                                       "standardText": {"body": {"textList": [{"value": "draft"}]}}}],
            })

    from aplusctl.engine.apply.create import Creator

    real = Creator._read_names

    async def read_names_after_create(self: Creator, marketplace_id: str) -> dict:
        await create()
        return await real(self, marketplace_id)

    Creator._read_names = read_names_after_create  # type: ignore[method-assign]
    try:
        result = cli(root, "apply", "--auto-approve", "--format", "json", env=sandbox.env)
    finally:
        Creator._read_names = real  # type: ignore[method-assign]
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["adopted"] == 1 and data["summary"]["created"] == 0
    assert live(sandbox) == KNIFE_CARE
    assert len(requests_of(sandbox, "createContentDocument")) == 1  # only the one made "by hand"
    assert cli(root, "plan", "--detailed-exitcode", env=sandbox.env).exit_code == 0
