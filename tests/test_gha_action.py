"""action.yml and the example workflows: the wiring the runner will follow, checked and (where it
needs nothing but bash and aplusctl) run."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from aplusctl.cli import main
from test_gha import parse_github_output

REPO = Path(__file__).resolve().parents[1]
ACTION: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text())
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
SECRET_INPUTS = ("lwa-app-id", "lwa-client-secret", "sp-api-refresh-token", "pixii-api-key", "github-token")
OUTPUTS = ("has_changes", "to_create", "to_update", "to_suspend", "images_to_upload", "credits")
BIN = str(Path(sys.executable).parent)


def step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s["name"] == name)


def test_action_is_composite_with_the_documented_inputs_and_outputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for name in ("command", "working-directory", "python-version", "aplusctl-version", "aplusctl-path", *SECRET_INPUTS):
        assert name in ACTION["inputs"], name
    assert ACTION["inputs"]["command"]["default"] == "plan"
    assert tuple(ACTION["outputs"]) == OUTPUTS
    for name in OUTPUTS:
        assert ACTION["outputs"][name]["value"] == f"${{{{ steps.report.outputs.{name} }}}}"


def test_secrets_are_masked_first_and_only_then_used() -> None:
    first = STEPS[0]
    assert first["name"] == "Mask secrets"
    for name in SECRET_INPUTS:
        assert f"inputs.{name}" in str(first["env"]), name
    masked_vars = set(first["env"])
    assert masked_vars <= set(shlex.split(first["run"].splitlines()[-1])[2:])
    for later in STEPS[1:]:
        for value in (later.get("env") or {}).values():
            for used in re.findall(r"inputs\.([\w-]+)", str(value)):
                if used in SECRET_INPUTS:
                    assert used in str(first["env"])


def test_no_input_is_interpolated_into_a_script() -> None:
    """`${{ inputs.x }}` inside `run:` would let an input inject shell; they go through env."""
    for s in STEPS:
        assert "${{" not in s.get("run", ""), s["name"]


def test_mask_step_script_runs_first_thing(tmp_path: Path) -> None:
    first = STEPS[0]
    env = {"PATH": os.environ["PATH"], "GITHUB_ACTION_PATH": str(REPO),
           "LWA_APP_ID": "amzn1.application-oa2-client.x", "LWA_CLIENT_SECRET": "amzn1.oa2-cs.v1.secret",
           "SP_API_REFRESH_TOKEN": "", "PIXII_API_KEY": "pk_test_1", "GITHUB_TOKEN": "ghs_x123"}
    done = subprocess.run(["bash", "-e", "-c", first["run"]], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "::add-mask::amzn1.application-oa2-client.x", "::add-mask::amzn1.oa2-cs.v1.secret",
        "::add-mask::pk_test_1", "::add-mask::ghs_x123",
    ]


def _commands_in(script: str) -> list[list[str]]:
    joined = script.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("aplusctl "):
            found.append(shlex.split(line.split("|")[0].split(">")[0]))
    return found


def _resolve(argv: list[str]) -> tuple[click.Command, list[str]]:
    """The click command an `aplusctl …` line reaches, and the options it passes."""
    command: click.Command = main
    args = argv[1:]
    while isinstance(command, click.Group):
        while args and args[0].startswith("-"):
            args = args[1:]
        if not args or args[0] not in command.commands:
            pytest.skip(f"`{' '.join(argv[:3])}` is not registered yet (another helper's command)")
        command, args = command.commands[args[0]], args[1:]
    return command, [a for a in args if a.startswith("--")]


def test_every_aplusctl_line_names_real_commands_and_options() -> None:
    seen = 0
    for s in STEPS:
        for argv in _commands_in(s.get("run", "")):
            if argv[1] in ("--version",):
                continue
            command, options = _resolve(argv)
            known = {opt for p in command.params for opt in getattr(p, "opts", [])}
            for option in options:
                assert option in known, f"{' '.join(argv)}: {option} unknown"
            seen += 1
    assert seen >= 5


def test_plan_and_report_steps_end_to_end_on_the_sandbox(tmp_path: Path) -> None:
    """Run the Plan and Report steps' scripts as the runner would, on the example repo."""
    if "plan" not in main.commands:
        pytest.skip("`aplusctl plan` is not registered yet")
    repo = tmp_path / "content-repo"
    shutil.copytree(REPO / "examples" / "content", repo, ignore=shutil.ignore_patterns(".aplusctl", "aplus.lock"))
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    output, summary = tmp_path / "output", tmp_path / "summary"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(PATH=BIN + os.pathsep + os.environ["PATH"], RUNNER_TEMP=str(runner_temp), GITHUB_ACTIONS="true",
               GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary), GITHUB_EVENT_NAME="schedule")
    plan = subprocess.run(["bash", "-e", "-c", step("Plan")["run"]], env=env, cwd=repo, capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr
    exitcode = parse_github_output(output.read_text())["exitcode"]
    assert exitcode == "2", plan.stderr  # a fresh sandbox: everything is to be created
    report_env = dict(env, APLUSCTL_MODE="plan", APLUSCTL_EXITCODE=exitcode, APLUSCTL_COMMENT="auto")
    report = subprocess.run(["bash", "-e", "-c", step("Report the plan")["run"]], env=report_env, cwd=repo,
                            capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    outputs = parse_github_output(output.read_text())
    assert outputs["has_changes"] == "true" and int(outputs["to_create"]) >= 1
    assert summary.read_text().strip()
    drift = subprocess.run(["bash", "-e", "-c", step("Report the plan")["run"]],
                           env=dict(report_env, APLUSCTL_MODE="drift"), cwd=repo, capture_output=True, text=True)
    assert drift.returncode == 1 and "drift" in drift.stderr


# --- the example workflows -----------------------------------------------------------------


def _workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "examples" / "workflows" / name).read_text())


def _action_step(workflow: dict[str, Any]) -> dict[str, Any]:
    (job,) = workflow["jobs"].values()
    return next(s for s in job["steps"] if "aplusctl" in str(s.get("uses", "")))


@pytest.mark.parametrize(
    ("name", "trigger", "command", "permission"),
    [
        ("aplus-plan.yml", "pull_request", "plan", ("pull-requests", "write")),
        ("aplus-apply.yml", "push", "apply", ("contents", "write")),
        ("aplus-drift.yml", "schedule", "drift", ("contents", "read")),
    ],
)
def test_example_workflows(name: str, trigger: str, command: str, permission: tuple[str, str]) -> None:
    workflow = _workflow(name)
    triggers = workflow[True]  # PyYAML reads the key `on` as the boolean True (YAML 1.1)
    assert trigger in triggers
    assert workflow["permissions"][permission[0]] == permission[1]
    uses = _action_step(workflow)
    assert uses["with"]["command"] == command
    for secret in ("lwa-app-id", "lwa-client-secret", "sp-api-refresh-token", "pixii-api-key"):
        assert uses["with"][secret].startswith("${{ secrets."), secret
    if trigger == "push":
        assert triggers["push"]["branches"] == ["main"]
        assert workflow["concurrency"]["cancel-in-progress"] is False


def test_pre_commit_hooks_call_real_commands() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"aplusctl-fmt", "aplusctl-validate"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        entry = hook["entry"].split()
        assert entry[0] == "aplusctl" and entry[1] in main.commands
        assert re.search(hook["files"], "content/us/hero.yaml")
    assert hooks["aplusctl-validate"]["pass_filenames"] is False
