"""Commit what apply wrote (aplus.lock, generated assets) back to the branch, in one commit.

The commit message carries `[skip ci]` so the push does not trigger the workflow again. In CI
the checkout starts clean, so every change under the content repo is apply's own; the local
state directory `.aplusctl/` (sandbox database, apply lock) is never committed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aplusctl.errors import UserError
from aplusctl.redact import redact

SKIP_CI = "[skip ci]"
DEFAULT_MESSAGE = "aplusctl apply: update aplus.lock and generated assets"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
_EXCLUDE = ":(exclude,glob)**/.aplusctl/**"


@dataclass(frozen=True)
class CommitResult:
    committed: bool
    sha: str = ""
    files: tuple[str, ...] = ()


def with_skip_ci(message: str) -> str:
    message = message.strip() or DEFAULT_MESSAGE
    return message if SKIP_CI in message else f"{message} {SKIP_CI}"


def _git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=dict(env) if env is not None else None,
            capture_output=True, text=True, check=False,
        )
    except FileNotFoundError:
        raise UserError("git is not installed") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise UserError(redact(f"git {args[0]} failed (exit {done.returncode}): {detail}"))
    return done.stdout


def _identity(cwd: Path, env: Mapping[str, str] | None) -> tuple[str, ...]:
    """The bot's name, unless the workflow configured an identity of its own."""
    try:
        configured = _git(cwd, "config", "user.email", env=env).strip()
    except UserError:
        configured = ""
    if configured or (env if env is not None else os.environ).get("GIT_AUTHOR_EMAIL"):
        return ()
    return ("-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}")


def commit_back(
    cwd: Path,
    message: str = DEFAULT_MESSAGE,
    *,
    push: bool = True,
    branch: str = "",
    env: Mapping[str, str] | None = None,
) -> CommitResult:
    """Stage every change under `cwd` (but .aplusctl/), commit once with [skip ci], push.

    Nothing to commit is not an error. A rejected push (the branch moved) is retried once after
    a rebase; a second rejection fails loudly rather than overwrite someone's work.
    """
    _git(cwd, "add", "--all", "--", ".", _EXCLUDE, env=env)
    staged = [line for line in _git(cwd, "diff", "--cached", "--name-only", "--relative", env=env).splitlines() if line]
    if not staged:
        return CommitResult(committed=False)
    identity = _identity(cwd, env)
    _git(cwd, *identity, "commit", "--quiet", "-m", with_skip_ci(message), env=env)
    sha = _git(cwd, "rev-parse", "HEAD", env=env).strip()
    if push:
        branch = branch or _git(cwd, "rev-parse", "--abbrev-ref", "HEAD", env=env).strip()
        if branch == "HEAD":
            raise UserError("the checkout is a detached HEAD: name the branch to push to (--branch)")
        target = f"HEAD:refs/heads/{branch}"
        try:
            _git(cwd, "push", "--quiet", "origin", target, env=env)
        except UserError:
            _git(cwd, *identity, "pull", "--quiet", "--rebase", "origin", branch, env=env)
            _git(cwd, "push", "--quiet", "origin", target, env=env)
            sha = _git(cwd, "rev-parse", "HEAD", env=env).strip()
    return CommitResult(committed=True, sha=sha, files=tuple(staged))
