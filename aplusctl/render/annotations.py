"""Diagnostics as GitHub workflow commands, so problems show on the pull request's own lines.

GitHub displays at most 10 error and 10 warning annotations per step (50 per job); anything past
that is silently dropped, so we stop at the limit and say plainly how many were not shown.
GitHub matches `file=` against paths from the git checkout's root, so a content repo in a
subfolder passes that folder as `prefix` (the caller works it out; rendering does no I/O).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from aplusctl.content.diagnostics import Diagnostic
from aplusctl.render.diagnostics import plural

# GitHub's per-step display limit, per severity.
GITHUB_STEP_LIMIT = 10


def escape_data(text: str) -> str:
    """Escape a workflow command's message (the part after `::`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command property value; `:` and `,` would end it early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _title(diag: Diagnostic) -> str:
    return f"aplusctl: {diag.field}" if diag.field else "aplusctl"


def annotation(diag: Diagnostic, prefix: str = "") -> str:
    """One `::error file=…,line=…,col=…,title=…::message` line; `prefix` is joined to the path."""
    command = "warning" if diag.severity == "warning" else "error"
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (
            ("file", posixpath.join(prefix, diag.path)),
            ("line", max(diag.line, 1)),
            ("col", max(diag.col, 1)),
            ("title", _title(diag)),
        )
    )
    return f"::{command} {props}::{escape_data(diag.message)}"


def github_annotations(diagnostics: Sequence[Diagnostic], limit: int = GITHUB_STEP_LIMIT, prefix: str = "") -> str:
    """Annotation lines (at most `limit` per severity), then a plain line counting the rest.

    Returns "" for no diagnostics; otherwise newline-terminated text ready to print.
    """
    shown: dict[str, int] = {"error": 0, "warning": 0}
    hidden: dict[str, int] = {"error": 0, "warning": 0}
    lines: list[str] = []
    for diag in diagnostics:
        severity = "warning" if diag.severity == "warning" else "error"
        if shown[severity] < limit:
            shown[severity] += 1
            lines.append(annotation(diag, prefix))
        else:
            hidden[severity] += 1
    if hidden["error"] or hidden["warning"]:
        parts = [
            plural(n, word) for n, word in ((hidden["error"], "error"), (hidden["warning"], "warning")) if n
        ]
        lines.append(
            f"{' and '.join(parts)} not shown as annotations (GitHub shows {limit} of each per step); "
            "run `aplusctl validate` to see them all."
        )
    return "".join(line + "\n" for line in lines)
