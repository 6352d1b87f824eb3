"""End to end on the sandbox: plan shows the cost, apply generates once and publishes A+ Basic,
then plan shows no changes; a Premium-only stanza is generated but never published (docs/generate.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from aplusctl.cli import main
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY

STANZA: dict[str, Any] = {"asin": "B0CHEFKNF1", "country_code": "US",
                          "types": ["A+ Basic", "A+ Premium"], "alt_text": "Chef knife"}


def run(sandbox: EmbeddedSandbox, root: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["-C", str(root), *args], env=sandbox.env)
    assert SANDBOX_PIXII_KEY not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def pixii_state(sandbox: EmbeddedSandbox) -> tuple[int, int]:
    """(balance, accepted submissions)."""
    base = f"{sandbox.base_url}/pixii/_sandbox"
    balance = httpx.get(f"{base}/state").json()["balance"]
    log = httpx.get(f"{base}/requests", params={"limit": 10000}).json()["requests"]
    paid = sum(1 for r in log if r["method"] == "POST" and r["path"].endswith("/a_plus")
               and r["status"] == 202)
    return int(balance), paid


def repo(tmp_path: Path, stanza: dict[str, Any]) -> Path:
    root = tmp_path / "repo"
    (root / "content").mkdir(parents=True)
    (root / "aplusctl.yaml").write_text("account_type: seller\nmarketplaces: [US]\n")
    body = {"name": "Chef Knife", "asins": ["B0CHEFKNF1"], "generate": stanza}
    (root / "content" / "knife.yaml").write_text(json.dumps(body))
    return root


def test_plan_generate_publish_then_no_changes(
        make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(rate_scale=0, pixii_job_seconds=0.2)
    root = repo(tmp_path, STANZA)

    for _ in range(2):
        plan = run(sandbox, root, "plan", "--detailed-exitcode")
        assert plan.exit_code == 2, plan.output
        assert "A+ Basic, A+ Premium via Pixii (40 credits)" in plan.output
        assert "40 Pixii credits" in plan.output and "Seller Central" in plan.output
    assert pixii_state(sandbox) == (1000, 0)

    applied = run(sandbox, root, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert pixii_state(sandbox) == (960, 1)
    lock = json.loads((root / "aplus.lock").read_text())
    (record,) = lock["generations"].values()
    assert record["status"] == "completed"
    uploaded = {entry["path"] for per in lock["uploads"].values() for entry in per.values()}
    assert uploaded == {f["path"] for f in record["variants"]["A+ Basic"]["files"]}

    after = run(sandbox, root, "plan", "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "No changes" in after.output
    again = run(sandbox, root, "apply", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert pixii_state(sandbox) == (960, 1)


def test_premium_only_is_generated_and_never_published(
        make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(rate_scale=0, pixii_job_seconds=0.2)
    root = repo(tmp_path, {**STANZA, "types": ["A+ Premium"]})

    plan = run(sandbox, root, "plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output          # the generation is still to be paid for
    assert "0 to create" in plan.output and "20 Pixii credits" in plan.output
    assert "nothing for the SP-API to publish" in plan.output
    assert "upload them in Seller Central" in plan.output

    applied = CliRunner().invoke(main, ["-C", str(root), "apply", "--auto-approve", "--format",
                                        "json"], env=sandbox.env)
    assert applied.exit_code == 0, applied.output
    assert "upload them in Seller Central" in applied.stderr
    assert json.loads(applied.stdout)["summary"]["created"] == 0
    assert pixii_state(sandbox) == (980, 1)
    listed = httpx.get(f"{sandbox.base_url}/_sandbox/requests",
                       params={"operation": "createContentDocument"}).json()["requests"]
    assert listed == []

    after = run(sandbox, root, "plan", "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "upload them in Seller Central" in after.output and "No changes" in after.output
