"""An interrupted generate resumes the job it paid for: SIGKILL while polling, or mid-submission."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from aplusctl.content.generated import stanza_hash
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY

STANZA: dict[str, Any] = {"asin": "B0CHEFKNF1", "country_code": "US", "types": ["A+ Basic"]}
APLUSCTL = str(Path(sys.executable).with_name("aplusctl"))

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def write_repo(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "aplusctl.yaml").write_text("marketplaces: [US]\n")
    body = {"name": "Chef Knife", "asins": [STANZA["asin"]], "generate": STANZA}
    (root / "content" / "knife.yaml").write_text(json.dumps(body))
    return root


def admin(sandbox: EmbeddedSandbox, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{sandbox.base_url}/pixii/_sandbox/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def charged_submissions(sandbox: EmbeddedSandbox) -> int:
    log = admin(sandbox, "GET", "requests?limit=10000")["requests"]
    return sum(1 for r in log if r["method"] == "POST" and r["path"].endswith("/a_plus")
               and r["status"] == 202)


def run(root: Path, sandbox: EmbeddedSandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([APLUSCTL, "-C", str(root), "generate", "--poll-interval", "0.05", *args],
                          env={**os.environ, **sandbox.env}, capture_output=True, text=True, timeout=60)


def generations(root: Path) -> dict[str, Any]:
    try:
        return json.loads((root / "aplus.lock").read_text())["generations"]
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def test_sigkill_while_polling_then_rerun_pays_once(
        make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    admin(sandbox, "PUT", "job-seconds", {"seconds": 3600})     # still running when killed
    root = write_repo(tmp_path / "repo")
    proc = subprocess.Popen([APLUSCTL, "-C", str(root), "generate", "--poll-interval", "0.05"],
                            env={**os.environ, **sandbox.env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not any(r.get("job_id") for r in generations(root).values()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the job id never reached aplus.lock"
            time.sleep(0.02)
        time.sleep(0.2)                                            # well into polling
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    (record,) = generations(root).values()
    assert record["status"] == "submitted"
    assert charged_submissions(sandbox) == 1 and admin(sandbox, "GET", "state")["balance"] == 980

    admin(sandbox, "PUT", "clock", {"advance_seconds": 3700})   # the job finishes meanwhile
    rerun = run(root, sandbox)
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming Pixii job" in rerun.stderr and "no new charge" in rerun.stderr
    (done,) = generations(root).values()
    assert done["status"] == "completed" and done["job_id"] == record["job_id"]
    assert len(done["variants"]["A+ Basic"]["files"]) == 5
    assert charged_submissions(sandbox) == 1 and admin(sandbox, "GET", "state")["balance"] == 980
    assert SANDBOX_PIXII_KEY not in rerun.stdout + rerun.stderr


def test_a_run_killed_mid_submission_finds_its_job_instead_of_paying_again(
        make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> None:
    """The intent is in aplus.lock and Pixii has the job, but its id never reached the lock."""
    sandbox = make_sandbox(pixii_job_seconds=0.2)
    root = write_repo(tmp_path / "repo")
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    submitted = httpx.post(f"{sandbox.base_url}/pixii/v1/api/a_plus", json=STANZA,
                           headers={"Authorization": f"Bearer {SANDBOX_PIXII_KEY}"})
    assert submitted.status_code == 202
    key = stanza_hash(STANZA)
    intent = {"document": "Chef Knife", "path": "content/knife.yaml",
              "dir": "assets/generated/chef-knife", "asin": STANZA["asin"], "status": "submitting",
              "submit_started_at": started, "types": ["A+ Basic"], "credit_cost": 20,
              "credits_refunded": 0, "job_id": None, "submitted_at": None, "completed_at": None,
              "variants": {}}
    lock = {"documents": {}, "generations": {key: intent}, "uploads": {}, "version": 1}
    (root / "aplus.lock").write_text(json.dumps(lock))

    result = run(root, sandbox)
    assert result.returncode == 0, result.stderr
    assert "interrupted run submitted" in result.stderr
    (record,) = generations(root).values()
    assert record["job_id"] == submitted.json()["job_id"] and record["status"] == "completed"
    assert charged_submissions(sandbox) == 1 and admin(sandbox, "GET", "state")["balance"] == 980
