"""Diagnostics as text for people and JSON for machines; `validate` picks one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import click

from aplusctl.content.diagnostics import Diagnostic


def plural(count: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(diagnostics: Sequence[Diagnostic], documents: int) -> str:
    """`2 errors in 1 file` or `All 4 documents are valid.`"""
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = [d for d in diagnostics if d.severity == "warning"]
    if errors:
        files = len({d.path for d in errors})
        extra = f" and {plural(len(warnings), 'warning')}" if warnings else ""
        return f"{plural(len(errors), 'error')}{extra} in {plural(files, 'file')}"
    tail = f" ({plural(len(warnings), 'warning')})" if warnings else ""
    if documents == 0:
        return f"No content files found.{tail}"
    if documents == 1:
        return f"The document is valid.{tail}"
    return f"All {documents} documents are valid.{tail}"


_COLOURS = {"error": "red", "warning": "yellow"}


def _line(diag: Diagnostic, color: bool) -> str:
    text = str(diag)
    if not color:
        return text
    where = f"{diag.path}:{diag.line}:{diag.col}:"
    rest = text[len(where) + len(diag.severity) + 3:]
    return f"{click.style(where, bold=True)} {click.style(diag.severity, fg=_COLOURS[diag.severity], bold=True)}: {rest}"


def text_report(diagnostics: Sequence[Diagnostic], documents: int, color: bool = False) -> str:
    """One `path:line:col: error: field: message` line per problem, then the count line."""
    lines = [_line(d, color) for d in sorted(diagnostics)]
    lines.append(summary(diagnostics, documents))
    return "\n".join(lines) + "\n"


def json_report(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON list of {path, line, col, field, message, severity}, sorted by path and line."""
    return json.dumps([asdict(d) for d in sorted(diagnostics)], indent=2, ensure_ascii=False) + "\n"
