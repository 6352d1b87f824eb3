"""The sticky plan comment against a stand-in for the GitHub REST API on 127.0.0.1.

The stand-in plays GitHub (not aplusctl): issue comments with real pagination (Link headers),
bearer-token auth, and switchable failures.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aplusctl.gha.comment import MARKER, MAX_BODY, comment_body
from test_gha import invoke

TOKEN = "ghs_standInToken0123456789"
APLUSCTL = [sys.executable, "-c", "import sys; from aplusctl.cli import main; sys.exit(main())"]


@dataclass
class FakeGitHub:
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1000
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)  # method → (status, message)
    calls: list[str] = field(default_factory=list)

    def add(self, body: str, number: int = 7, user: str = "someone") -> int:
        self.next_id += 1
        self.comments[self.next_id] = {"id": self.next_id, "issue": number, "body": body, "user": {"login": user}}
        return self.next_id

    def on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == number]


def _app(gh: FakeGitHub) -> Starlette:
    def guard(request: Request) -> Response | None:
        gh.calls.append(f"{request.method} {request.url.path}")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if request.method in gh.fail:
            status, message = gh.fail[request.method]
            return JSONResponse({"message": message, "documentation_url": "https://docs.github.com/rest"}, status)
        return None

    def view(c: dict[str, Any], request: Request) -> dict[str, Any]:
        return {**{k: v for k, v in c.items() if k != "issue"},
                "html_url": f"{request.base_url}o/r/pull/{c['issue']}#issuecomment-{c['id']}"}

    async def issue_comments(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        number = int(request.path_params["number"])
        if request.method == "POST":
            body = (await request.json())["body"]
            cid = gh.add(body, number, user="github-actions[bot]")
            return JSONResponse(view(gh.comments[cid], request), status_code=201)
        per_page = int(request.query_params.get("per_page", 30))
        page = int(request.query_params.get("page", 1))
        items = gh.on(number)
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = request.url.include_query_params(page=page + 1, per_page=per_page)
            headers["Link"] = f'<{nxt}>; rel="next"'
        return JSONResponse([view(c, request) for c in chunk], headers=headers)

    async def one_comment(request: Request) -> Response:
        if (refused := guard(request)) is not None:
            return refused
        cid = int(request.path_params["cid"])
        if cid not in gh.comments:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        if request.method == "DELETE":
            del gh.comments[cid]
            return Response(status_code=204)
        gh.comments[cid]["body"] = (await request.json())["body"]
        return JSONResponse(view(gh.comments[cid], request))

    return Starlette(routes=[
        Route("/api/v3/repos/{owner}/{repo}/issues/{number:int}/comments", issue_comments, methods=["GET", "POST"]),
        Route("/api/v3/repos/{owner}/{repo}/issues/comments/{cid:int}", one_comment, methods=["PATCH", "DELETE"]),
    ])


@pytest.fixture()
def github() -> Iterator[tuple[FakeGitHub, str]]:
    gh = FakeGitHub()
    server = uvicorn.Server(uvicorn.Config(_app(gh), host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the stand-in GitHub API did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    # A GitHub Enterprise style base path, to prove paths are joined under it.
    yield gh, f"http://127.0.0.1:{port}/api/v3"
    server.should_exit = True
    thread.join()


def _env(tmp_path: Path, api_url: str, token: str = TOKEN, number: int = 7) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": number, "pull_request": {"number": number}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(
        GITHUB_API_URL=api_url, GITHUB_REPOSITORY="brand/aplus-content", GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event), GITHUB_TOKEN=token,
    )
    return env


def _comment(tmp_path: Path, env: dict[str, str], markdown: str) -> subprocess.CompletedProcess[str]:
    plan = tmp_path / "plan.md"
    plan.write_text(markdown)
    return invoke(["gha", "comment", "--file", str(plan)], env)


def test_a_real_process_creates_then_edits(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    gh, api = github
    plan = tmp_path / "plan.md"
    for text in ("Plan: 1 to create.\n", "Plan: 2 to create.\n"):
        plan.write_text(text)
        done = subprocess.run(APLUSCTL + ["gha", "comment", "--file", str(plan)], env=_env(tmp_path, api),
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert TOKEN not in done.stdout + done.stderr
    assert [c["body"] for c in gh.on(7)] == [f"{MARKER}\nPlan: 2 to create.\n"]


def test_creates_when_absent_then_edits_exactly_one(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    gh, api = github
    gh.add("LGTM")
    env = _env(tmp_path, api)
    first = _comment(tmp_path, env, "Plan: 1 to create.\n")
    assert first.returncode == 0, first.stderr
    assert "created the plan comment on brand/aplus-content#7" in first.stderr
    second = _comment(tmp_path, env, "Plan: 2 to create.\n")
    assert second.returncode == 0, second.stderr
    assert "updated the plan comment" in second.stderr
    mine = [c for c in gh.on(7) if MARKER in c["body"]]
    assert len(mine) == 1
    assert mine[0]["body"] == f"{MARKER}\nPlan: 2 to create.\n"
    assert [c["body"] for c in gh.on(7) if MARKER not in c["body"]] == ["LGTM"]  # others untouched
    assert gh.calls.count("POST /api/v3/repos/brand/aplus-content/issues/7/comments") == 1
    assert any(call.startswith("PATCH ") for call in gh.calls)


def test_finds_the_marked_comment_past_the_first_page(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    gh, api = github
    for i in range(130):
        gh.add(f"review remark {i}")
    marked = gh.add(f"{MARKER}\nold plan")
    done = _comment(tmp_path, _env(tmp_path, api), "new plan")
    assert done.returncode == 0, done.stderr
    assert gh.comments[marked]["body"] == f"{MARKER}\nnew plan\n"
    assert len(gh.on(7)) == 131
    assert sum(call.startswith("GET ") for call in gh.calls) == 2


def test_duplicate_marked_comments_collapse_to_one(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    gh, api = github
    keep = gh.add(f"{MARKER}\nplan A")
    gh.add(f"{MARKER}\nplan B")
    assert _comment(tmp_path, _env(tmp_path, api), "plan C").returncode == 0
    assert [c["id"] for c in gh.on(7) if MARKER in c["body"]] == [keep]


def test_posting_failure_is_loud_with_status_and_message_and_no_token(
    github: tuple[FakeGitHub, str], tmp_path: Path
) -> None:
    gh, api = github
    gh.fail["POST"] = (403, "Resource not accessible by integration")
    done = _comment(tmp_path, _env(tmp_path, api), "plan")
    assert done.returncode == 1
    assert "HTTP 403" in done.stderr and "Resource not accessible by integration" in done.stderr
    assert "Traceback" not in done.stderr
    assert TOKEN not in done.stderr + done.stdout


def test_bad_token_is_reported_without_echoing_it(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    _, api = github
    wrong = "ghs_wrongToken9876543210"
    done = _comment(tmp_path, _env(tmp_path, api, token=wrong), "plan")
    assert done.returncode == 1
    assert "HTTP 401: Bad credentials" in done.stderr
    assert wrong not in done.stderr + done.stdout


def test_unreachable_api_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _comment(tmp_path, _env(tmp_path, f"http://127.0.0.1:{port}"), "plan")
    assert done.returncode == 1 and "could not reach" in done.stderr
    assert TOKEN not in done.stderr


def test_missing_token_and_missing_pr(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    _, api = github
    done = _comment(tmp_path, _env(tmp_path, api, token=""), "plan")
    assert done.returncode == 1 and "no GitHub token" in done.stderr
    env = _env(tmp_path, api)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({"ref": "refs/heads/main"}))
    done = _comment(tmp_path, env, "plan")
    assert done.returncode == 1 and "no pull request number" in done.stderr


def test_report_posts_the_comment_on_pull_requests(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    gh, api = github
    env = _env(tmp_path, api)
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env.update(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output))
    md = tmp_path / "plan.md"
    md.write_text("Plan: 1 to update.\n")
    done = invoke(["gha", "report", "--mode", "plan", "--exitcode", "2", "--markdown", str(md)], env)
    assert done.returncode == 0, done.stderr
    assert [c["body"] for c in gh.on(7)] == [f"{MARKER}\nPlan: 1 to update.\n"]
    assert summary.read_text() == "Plan: 1 to update.\n"
    assert output.read_text() == "has_changes=true\n"


def test_report_fails_when_the_comment_fails(github: tuple[FakeGitHub, str], tmp_path: Path) -> None:
    gh, api = github
    gh.fail["POST"] = (422, "Validation Failed")
    env = _env(tmp_path, api)
    env.update(GITHUB_STEP_SUMMARY=str(tmp_path / "s"), GITHUB_OUTPUT=str(tmp_path / "o"))
    md = tmp_path / "plan.md"
    md.write_text("Plan.\n")
    done = invoke(["gha", "report", "--exitcode", "0", "--markdown", str(md)], env)
    assert done.returncode == 1 and "HTTP 422: Validation Failed" in done.stderr
    assert (tmp_path / "s").read_text() == "Plan.\n"  # the summary was still written


def test_comment_body_stays_within_githubs_limit() -> None:
    body = comment_body("x" * 70_000)
    assert len(body) <= MAX_BODY and body.startswith(MARKER) and "cut to fit" in body
