"""End to end on the sandbox: plan shows the cost, apply generates once and publishes A+ Basic,
then plan shows no changes. Skips until plan and apply call into generation (docs/generate.md)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

import aplusctl.cli.apply as cli_apply
import aplusctl.cli.plan as cli_plan
from aplusctl.cli import main
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY

pytestmark = pytest.mark.skipif(
    "with_generated" not in inspect.getsource(cli_plan)
    or "generate_then_expand" not in inspect.getsource(cli_apply),
    reason="plan/apply are not wired to generation yet",
)

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


def test_plan_generate_publish_then_no_changes(
        make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(rate_scale=0, pixii_job_seconds=0.2)
    root = tmp_path / "repo"
    (root / "content").mkdir(parents=True)
    (root / "aplusctl.yaml").write_text("account_type: seller\nmarketplaces: [US]\n")
    body = {"name": "Chef Knife", "asins": ["B0CHEFKNF1"], "generate": STANZA}
    (root / "content" / "knife.yaml").write_text(json.dumps(body))

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
