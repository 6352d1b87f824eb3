"""One sticky pull-request comment holding the latest plan, via the GitHub REST API.

The comment is found by a hidden marker and edited in place, so a PR shows one current plan
rather than a stream of stale ones. Any failure is loud: the HTTP status and GitHub's own
message, never the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

from aplusctl.errors import UserError
from aplusctl.redact import redact, register_secret

MARKER = "<!-- aplusctl-plan -->"
MAX_BODY = 65_536  # GitHub's limit on a comment body, in characters
_API_VERSION = "2022-11-28"


class GitHubError(UserError):
    """The GitHub API refused or could not be reached."""


@dataclass(frozen=True)
class Outcome:
    action: Literal["created", "updated"]
    comment_id: int
    url: str
    removed_duplicates: int = 0


def comment_body(markdown: str, marker: str = MARKER) -> str:
    """The marker first (invisible in the rendered comment), then the plan, within GitHub's limit."""
    body = f"{marker}\n{markdown.rstrip()}\n"
    if len(body) <= MAX_BODY:
        return body
    note = "\n\n_… cut to fit GitHub's comment size limit; the full plan is in the workflow run's summary._\n"
    return body[: MAX_BODY - len(note)] + note


def _message(response: httpx.Response) -> str:
    try:
        data: Any = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return response.reason_phrase


class _GitHub:
    """The four calls we need, each failing with status and message."""

    def __init__(self, client: httpx.Client, repo: str) -> None:
        self.client = client
        self.repo = repo

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GitHubError(
                redact(f"GitHub API {method} {path}: could not reach {self.client.base_url}: {exc}")
            ) from None
        if response.status_code >= 400:
            raise GitHubError(
                redact(f"GitHub API {method} {path} failed: HTTP {response.status_code}: {_message(response)}")
            )
        return response

    def comments(self, number: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = f"/repos/{self.repo}/issues/{number}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        while url:
            response = self._call("GET", url, params=params)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GitHub API GET {url}: expected a list of comments")
            found.extend(c for c in page if isinstance(c, dict))
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries its own query
        return found

    def create(self, number: int, body: str) -> dict[str, Any]:
        return self._call("POST", f"/repos/{self.repo}/issues/{number}/comments", json={"body": body}).json()

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        return self._call("PATCH", f"/repos/{self.repo}/issues/comments/{comment_id}", json={"body": body}).json()

    def delete(self, comment_id: int) -> None:
        self._call("DELETE", f"/repos/{self.repo}/issues/comments/{comment_id}")


def upsert_comment(
    *,
    api_url: str,
    repo: str,
    number: int,
    token: str,
    markdown: str,
    marker: str = MARKER,
    transport: httpx.BaseTransport | None = None,
) -> Outcome:
    """Edit the PR's comment carrying `marker`, or create it; extra marked comments are removed."""
    if not token:
        raise UserError("no GitHub token: pass the action's github-token input (or set GITHUB_TOKEN)")
    register_secret(token)
    body = comment_body(markdown, marker)
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": _API_VERSION,
        "User-Agent": "aplusctl",
    }
    with httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=30.0, transport=transport) as client:
        github = _GitHub(client, repo)
        mine = [c for c in github.comments(number) if marker in str(c.get("body") or "")]
        if not mine:
            created = github.create(number, body)
            return Outcome("created", int(created.get("id", 0)), str(created.get("html_url", "")))
        keep, extra = mine[0], mine[1:]
        updated = github.update(int(keep["id"]), body)
        for comment in extra:
            github.delete(int(comment["id"]))
        return Outcome("updated", int(keep["id"]), str(updated.get("html_url", "")), len(extra))
