"""The action's scripts (`aplusctl gha …`) run the way the runner runs them: GITHUB_ACTIONS=true
and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY pointing at files other steps also write to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aplusctl import credentials
from aplusctl.cli import main
from aplusctl.gha.files import format_output
from aplusctl.gha.mask import SECRET_ENV_VARS, mask_commands
from aplusctl.gha.outputs import plan_outputs

REPO = Path(__file__).resolve().parents[1]
MASK_SCRIPT = REPO / "aplusctl" / "gha" / "mask.py"
APLUSCTL = [sys.executable, "-c", "import sys; from aplusctl.cli import main; sys.exit(main())"]

PLAN = {
    "format_version": 1,
    "has_changes": True,
    "summary": {"create": 2, "update": 1, "relate": 1, "submit": 3, "suspend": 0, "no_op": 4,
                "images_to_upload": 5, "pixii_credits": 20, "unmanaged": 1, "errors": 0},
    "resource_changes": [],
}
PLAN_MD = "## aplusctl plan\n\n| Document | Action |\n|---|---|\n| US/Chef Knife | create |\n"


def parse_github_output(text: str) -> dict[str, str]:
    """Read $GITHUB_OUTPUT the way the runner does (name=value and name<<DELIM heredocs)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            i += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture()
def runner_env(tmp_path: Path) -> dict[str, str]:
    """The runner's environment files, each already holding an earlier step's writes."""
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    summary = tmp_path / "step_summary"
    summary.write_text("# Earlier step\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k not in _SECRET_NAMES}
    env.update(GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    return env


_SECRET_NAMES = ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN", "PIXII_API_KEY", "GITHUB_TOKEN")


def run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """A real process, as the runner starts it (used where process-level behaviour matters)."""
    return subprocess.run(APLUSCTL + args, env=env, cwd=cwd, capture_output=True, text=True, check=False)


def invoke(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """In-process and quicker; the environment is exactly `env` for the runner's variables and secrets,
    so tests stay hermetic even when the suite itself runs inside GitHub Actions."""
    overrides: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GITHUB_") or k in _SECRET_NAMES}
    overrides.update({k: v for k, v in env.items() if k.startswith("GITHUB_") or k in _SECRET_NAMES})
    result = CliRunner().invoke(main, args, env=overrides)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


# --- masks ----------------------------------------------------------------------------------


def test_mask_commands_escape_and_split_multiline_secrets() -> None:
    assert mask_commands(["s3cr%t", "", "   ", "-----BEGIN KEY-----\nabc\r\n-----END KEY-----"]) == [
        "::add-mask::s3cr%25t",
        "::add-mask::-----BEGIN KEY-----%0Aabc%0D%0A-----END KEY-----",
        "::add-mask::-----BEGIN KEY-----",
        "::add-mask::abc",
        "::add-mask::-----END KEY-----",
    ]


def test_the_mask_list_covers_every_credential_aplusctl_reads() -> None:
    """mask.py keeps its own copy (it runs before aplusctl is installed): it must not drift."""
    read = {credentials.LWA_APP_ID, credentials.LWA_CLIENT_SECRET, credentials.SP_API_REFRESH_TOKEN,
            credentials.PIXII_API_KEY}
    assert read <= set(SECRET_ENV_VARS)


def test_mask_script_runs_without_aplusctl_installed(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "LWA_CLIENT_SECRET": "lwa-secret-value", "PIXII_API_KEY": "pk_live_1"}
    # -S -I: no site-packages, isolated — the script must stand on the standard library alone.
    done = subprocess.run(
        [sys.executable, "-S", "-I", str(MASK_SCRIPT), "LWA_APP_ID", "LWA_CLIENT_SECRET", "PIXII_API_KEY"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert done.stdout == "::add-mask::lwa-secret-value\n::add-mask::pk_live_1\n"


def test_every_gha_command_prints_masks_before_anything_else(runner_env: dict[str, str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    env = dict(runner_env, SP_API_REFRESH_TOKEN="Atzr|refresh-token-value", GITHUB_TOKEN="ghs_tokenvalue123")
    done = run(["gha", "outputs", "--plan", str(plan)], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "::add-mask::Atzr|refresh-token-value",
        "::add-mask::ghs_tokenvalue123",
    ]
    # Outside Actions nothing is printed: the masks are for the runner only.
    env["GITHUB_ACTIONS"] = "false"
    assert invoke(["gha", "outputs", "--plan", str(plan)], env).stdout == ""


# --- outputs --------------------------------------------------------------------------------


def test_plan_outputs_follow_the_documented_summary() -> None:
    assert plan_outputs(PLAN) == {
        "has_changes": "true", "to_create": "2", "to_update": "1", "to_suspend": "0",
        "images_to_upload": "5", "credits": "20",
    }


def test_has_changes_without_the_flag_counts_relate_and_submit_too() -> None:
    summary = {"create": 0, "update": 0, "suspend": 0, "relate": 1, "images_to_upload": 0, "pixii_credits": 0}
    assert plan_outputs({"summary": summary})["has_changes"] == "true"
    assert plan_outputs({"summary": {"no_op": 3}})["has_changes"] == "false"
    assert plan_outputs({"has_changes": False, "summary": {"create": 0}})["has_changes"] == "false"


def test_format_output_single_line_and_heredoc() -> None:
    assert format_output("to_create", "2") == "to_create=2\n"
    multi = format_output("plan", "line one\nline two")
    first, *rest = multi.split("\n")
    name, delimiter = first.split("<<")
    assert name == "plan" and delimiter.startswith("ghadelimiter_")
    assert rest == ["line one", "line two", delimiter, ""]
    assert parse_github_output(multi) == {"plan": "line one\nline two"}


def test_outputs_command_appends_name_value_lines(runner_env: dict[str, str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    done = invoke(["gha", "outputs", "--plan", str(plan)], runner_env)
    assert done.returncode == 0, done.stderr
    text = Path(runner_env["GITHUB_OUTPUT"]).read_text()
    assert text == (
        "earlier=1\nhas_changes=true\nto_create=2\nto_update=1\nto_suspend=0\nimages_to_upload=5\ncredits=20\n"
    )


def test_outputs_command_errors_are_clear(runner_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = invoke(["gha", "outputs", "--plan", str(bad)], runner_env)
    assert done.returncode == 1 and "is not JSON" in done.stderr and "Traceback" not in done.stderr
    env = dict(runner_env)
    del env["GITHUB_OUTPUT"]
    (tmp_path / "ok.json").write_text(json.dumps(PLAN))
    done = invoke(["gha", "outputs", "--plan", str(tmp_path / "ok.json")], env)
    assert done.returncode == 1 and "GITHUB_OUTPUT is not set" in done.stderr


# --- step summary ---------------------------------------------------------------------------


def test_summary_is_appended_not_overwritten(runner_env: dict[str, str], tmp_path: Path) -> None:
    md = tmp_path / "plan.md"
    md.write_text(PLAN_MD)
    assert invoke(["gha", "summary", "--file", str(md)], runner_env).returncode == 0
    log = tmp_path / "apply.log"
    log.write_text("created US/Chef Knife\n")
    assert invoke(["gha", "summary", "--file", str(log), "--code", "--title", "aplusctl apply"], runner_env).returncode == 0
    assert Path(runner_env["GITHUB_STEP_SUMMARY"]).read_text() == (
        "# Earlier step\n\n" + PLAN_MD + "\n## aplusctl apply\n\n```text\ncreated US/Chef Knife\n```\n"
    )


# --- report: the verdict after `plan --detailed-exitcode` -------------------------------------


def _report(runner_env: dict[str, str], tmp_path: Path, mode: str, exitcode: int, *extra: str) -> subprocess.CompletedProcess[str]:
    md, plan = tmp_path / "plan.md", tmp_path / "plan.json"
    md.write_text(PLAN_MD)
    plan.write_text(json.dumps(PLAN if exitcode == 2 else {"has_changes": False, "summary": {"no_op": 3}}))
    return invoke(
        ["gha", "report", "--mode", mode, "--exitcode", str(exitcode), "--markdown", str(md), "--plan", str(plan), *extra],
        runner_env,
    )


def test_report_plan_with_changes_succeeds_with_summary_and_outputs(runner_env: dict[str, str], tmp_path: Path) -> None:
    done = _report(runner_env, tmp_path, "plan", 2, "--comment", "never")
    assert done.returncode == 0, done.stderr
    assert Path(runner_env["GITHUB_STEP_SUMMARY"]).read_text() == "# Earlier step\n\n" + PLAN_MD
    outputs = parse_github_output(Path(runner_env["GITHUB_OUTPUT"]).read_text())
    assert outputs["earlier"] == "1" and outputs["has_changes"] == "true" and outputs["credits"] == "20"


def test_report_drift_fails_on_drift_with_the_plan_in_the_summary(runner_env: dict[str, str], tmp_path: Path) -> None:
    done = _report(runner_env, tmp_path, "drift", 2)
    assert done.returncode == 1
    assert "drift: live A+ content differs from the files" in done.stderr
    assert PLAN_MD in Path(runner_env["GITHUB_STEP_SUMMARY"]).read_text()
    assert parse_github_output(Path(runner_env["GITHUB_OUTPUT"]).read_text())["has_changes"] == "true"


def test_report_drift_without_drift_passes(runner_env: dict[str, str], tmp_path: Path) -> None:
    done = _report(runner_env, tmp_path, "drift", 0)
    assert done.returncode == 0, done.stderr
    assert parse_github_output(Path(runner_env["GITHUB_OUTPUT"]).read_text())["has_changes"] == "false"


def test_report_failed_plan_fails_the_step(runner_env: dict[str, str], tmp_path: Path) -> None:
    done = _report(runner_env, tmp_path, "plan", 1)
    assert done.returncode == 1 and "aplusctl plan failed" in done.stderr
    assert "has_changes" not in Path(runner_env["GITHUB_OUTPUT"]).read_text()


def test_report_does_not_comment_outside_pull_requests(runner_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(runner_env, GITHUB_EVENT_NAME="push")  # no GitHub API is reachable: a comment attempt would fail
    done = _report(env, tmp_path, "plan", 2)
    assert done.returncode == 0, done.stderr
