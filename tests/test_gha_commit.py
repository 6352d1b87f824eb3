"""`aplusctl gha commit-back`: apply's results land on the branch in one [skip ci] commit."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from aplusctl.cli import main


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=_env(), capture_output=True, text=True, check=True).stdout


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_"))}
    env.update(
        GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
        GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com",
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@pytest.fixture()
def clone(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(remote), str(work))
    git(work, "checkout", "--quiet", "-B", "main")
    (work / "aplusctl.yaml").write_text("sandbox: true\n")
    (work / "aplus.lock").write_text("{}\n")
    (work / "content").mkdir()
    (work / "content" / "a.yaml").write_text("name: a\n")
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "content")
    git(work, "push", "--quiet", "origin", "main")
    return work


def _apply_wrote(work: Path) -> None:
    (work / "aplus.lock").write_text('{"uploads": {}}\n')
    (work / "assets" / "generated").mkdir(parents=True)
    (work / "assets" / "generated" / "hero.png").write_bytes(b"\x89PNG fake")
    (work / ".aplusctl").mkdir()
    (work / ".aplusctl" / "sandbox.sqlite").write_bytes(b"state")


def _commit_back(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # As on a fresh runner: no git identity configured anywhere.
    overrides: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("GIT_", "GITHUB_"))}
    overrides.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", EMAIL="")
    result = CliRunner().invoke(main, ["-C", str(work), "gha", "commit-back", *args], env=overrides)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_one_skip_ci_commit_with_lock_and_assets_pushed(clone: Path, tmp_path: Path) -> None:
    _apply_wrote(clone)
    done = _commit_back(clone)
    assert done.returncode == 0, done.stderr
    remote = tmp_path / "remote.git"
    log = git(remote, "log", "--format=%s%x00%an", "main").splitlines()
    assert len(log) == 2
    subject, author = log[0].split("\x00")
    assert "[skip ci]" in subject and author == "github-actions[bot]"
    files = git(remote, "show", "--name-only", "--format=", "main").split()
    assert sorted(files) == ["aplus.lock", "assets/generated/hero.png"]


def test_a_configured_identity_is_respected(clone: Path, tmp_path: Path) -> None:
    git(clone, "config", "user.name", "Content Bot")
    git(clone, "config", "user.email", "bot@brand.example")
    _apply_wrote(clone)
    assert _commit_back(clone).returncode == 0
    assert git(tmp_path / "remote.git", "log", "-1", "--format=%an <%ae>", "main").strip() == "Content Bot <bot@brand.example>"


def test_nothing_to_commit_is_fine(clone: Path) -> None:
    done = _commit_back(clone)
    assert done.returncode == 0 and "nothing to commit" in done.stderr
    assert len(git(clone, "log", "--oneline").splitlines()) == 1


def test_custom_message_gets_skip_ci(clone: Path, tmp_path: Path) -> None:
    _apply_wrote(clone)
    assert _commit_back(clone, "--message", "chore: A+ lock").returncode == 0
    assert git(tmp_path / "remote.git", "log", "-1", "--format=%s", "main").strip() == "chore: A+ lock [skip ci]"


def test_branch_moved_meanwhile_rebases_once_and_pushes(clone: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "remote.git"), str(other))
    (other / "content" / "b.yaml").write_text("name: b\n")
    git(other, "add", ".")
    git(other, "commit", "--quiet", "-m", "another PR merged")
    git(other, "push", "--quiet", "origin", "main")
    _apply_wrote(clone)
    done = _commit_back(clone)
    assert done.returncode == 0, done.stderr
    subjects = git(tmp_path / "remote.git", "log", "--format=%s", "main").splitlines()
    assert subjects[:2] == ["aplusctl apply: update aplus.lock and generated assets [skip ci]", "another PR merged"]


def test_push_failure_is_loud(clone: Path) -> None:
    git(clone, "remote", "set-url", "origin", str(clone.parent / "missing.git"))
    _apply_wrote(clone)
    done = _commit_back(clone)
    assert done.returncode == 1 and "git " in done.stderr and "failed" in done.stderr
    assert "Traceback" not in done.stderr
