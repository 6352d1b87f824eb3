"""`aplusctl gha …`: the steps of the GitHub Action (action.yml), one small command each.

They read the runner's environment ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, $GITHUB_EVENT_PATH,
$GITHUB_REPOSITORY, $GITHUB_API_URL) and the token from an environment variable, never from a
command-line argument, where it would show in process listings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from aplusctl.cli import App, main
from aplusctl.errors import UserError
from aplusctl.gha import event
from aplusctl.gha.comment import MARKER, upsert_comment
from aplusctl.gha.commit import DEFAULT_MESSAGE, commit_back
from aplusctl.gha.files import append_outputs, append_summary, env_file
from aplusctl.gha.mask import SECRET_ENV_VARS, mask_env
from aplusctl.gha.outputs import plan_outputs, read_plan


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


@main.group("gha")
def gha() -> None:
    """Steps of the aplusctl GitHub Action (see docs/github-action.md); usable in any workflow."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # Secrets are registered before this process can print anything else.
        for line in mask_env(SECRET_ENV_VARS):
            click.echo(line)


@gha.command("mask")
@click.argument("names", nargs=-1)
def mask_command(names: tuple[str, ...]) -> None:
    """Print `::add-mask::` for the secrets in the named environment variables (default: all aplusctl's)."""
    for line in mask_env(names or SECRET_ENV_VARS):
        click.echo(line)


@gha.command("summary")
@click.option("--file", "file", required=True, help="Markdown to append ('-' for stdin).")
@click.option("--title", default="", help="A heading above it.")
@click.option("--code", is_flag=True, help="Show the file as a code block (for plain-text logs).")
def summary_command(file: str, title: str, code: bool) -> None:
    """Append markdown to $GITHUB_STEP_SUMMARY (earlier steps' summaries are kept)."""
    text = _read(file)
    if code:
        text = f"```text\n{text.rstrip()}\n```\n"
    if title:
        text = f"## {title}\n\n{text}"
    append_summary(env_file("GITHUB_STEP_SUMMARY"), text)


@gha.command("outputs")
@click.option("--plan", "plan_path", required=True, type=click.Path(path_type=Path), help="The plan JSON.")
def outputs_command(plan_path: Path) -> None:
    """Write has_changes and the plan's counts to $GITHUB_OUTPUT."""
    append_outputs(env_file("GITHUB_OUTPUT"), plan_outputs(read_plan(plan_path)))


def _post_comment(markdown: str, marker: str, pr: int | None, token_env: str) -> None:
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UserError("GITHUB_REPOSITORY is not set (expected owner/name)")
    number = pr or event.pull_request_number()
    if number is None:
        raise UserError("no pull request number: not a pull_request event (pass --pr N)")
    outcome = upsert_comment(
        api_url=os.environ.get("GITHUB_API_URL") or "https://api.github.com",
        repo=repo,
        number=number,
        token=os.environ.get(token_env, ""),
        markdown=markdown,
        marker=marker,
    )
    where = f": {outcome.url}" if outcome.url else ""
    click.echo(f"{outcome.action} the plan comment on {repo}#{number}{where}", err=True)


_marker_option = click.option("--marker", default=MARKER, show_default=True,
                              help="Hidden text that identifies the comment.")
_pr_option = click.option("--pr", type=int, default=None, help="Pull request number (default: from the event).")
_token_env_option = click.option("--token-env", default="GITHUB_TOKEN", show_default=True,
                                 help="Environment variable holding the token.")


@gha.command("comment")
@click.option("--file", "file", required=True, help="Markdown for the comment ('-' for stdin).")
@_marker_option
@_pr_option
@_token_env_option
def comment_command(file: str, marker: str, pr: int | None, token_env: str) -> None:
    """Keep one sticky comment on the pull request up to date: edit it, or create it."""
    _post_comment(_read(file), marker, pr, token_env)


@gha.command("report")
@click.option("--mode", type=click.Choice(["plan", "drift"]), default="plan", show_default=True)
@click.option("--markdown", "markdown_path", required=True, help="The markdown plan.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=None, help="The plan JSON.")
@click.option("--exitcode", type=int, required=True, help="`plan --detailed-exitcode`'s exit code.")
@click.option("--comment", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Post the sticky PR comment (auto: on pull_request events, in plan mode).")
@_marker_option
@_token_env_option
def report_command(
    mode: str, markdown_path: str, plan_path: Path | None, exitcode: int, comment: str, marker: str, token_env: str,
) -> None:
    """After `plan --detailed-exitcode`: summary, outputs, PR comment, and the step's verdict.

    Exit 1 when the plan failed, when posting the comment failed, or (drift mode) on drift.
    """
    markdown = _read(markdown_path) if Path(markdown_path).is_file() else ""
    if markdown:
        append_summary(env_file("GITHUB_STEP_SUMMARY"), markdown)
    if exitcode == 1:
        raise UserError("aplusctl plan failed; its errors are in the log above")
    if exitcode not in (0, 2):
        raise UserError(f"aplusctl plan exited {exitcode}")
    if plan_path is not None and plan_path.is_file():
        outputs = plan_outputs(read_plan(plan_path))
    else:
        outputs = {"has_changes": "true" if exitcode == 2 else "false"}
    append_outputs(env_file("GITHUB_OUTPUT"), outputs)
    wants_comment = comment == "always" or (comment == "auto" and mode == "plan" and event.is_pull_request())
    if wants_comment:
        _post_comment(markdown or "No plan output.", marker, None, token_env)
    if mode == "drift" and exitcode == 2:
        raise UserError("drift: live A+ content differs from the files; the plan is in the step summary")


@gha.command("commit-back")
@click.option("--message", "-m", default=DEFAULT_MESSAGE, show_default=True, help="`[skip ci]` is added if missing.")
@click.option("--branch", default="", help="Branch to push to (default: the checked-out branch).")
@click.option("--no-push", is_flag=True, help="Commit only.")
@click.pass_obj
def commit_back_command(app: App, message: str, branch: str, no_push: bool) -> None:
    """Commit aplus.lock and generated assets in one commit marked [skip ci], and push it."""
    result = commit_back(app.root, message, push=not no_push, branch=branch)
    if not result.committed:
        click.echo("nothing to commit: aplus.lock and assets are unchanged", err=True)
        return
    click.echo(f"committed {len(result.files)} file(s) as {result.sha[:12]}", err=True)
    for name in result.files:
        click.echo(f"  {name}", err=True)
