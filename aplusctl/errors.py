"""Errors that reach the user as a message and exit code 1, never as a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; the message says what and how."""


class Interrupted(Exception):
    """Ctrl-C after in-flight work was wound down; exit 130."""
