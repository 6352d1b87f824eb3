"""Plan symbols, their meanings and terminal colours, shared by the text and markdown views."""

from __future__ import annotations

SYMBOLS: dict[str, str] = {
    "create": "+",
    "update": "~",
    "relate": ">",
    "submit": "^",
    "suspend": "-",
    "no-op": "=",
    "warning": "!",
    "error": "x",
}

MEANINGS: dict[str, str] = {
    "create": "create",
    "update": "update content",
    "relate": "relate ASINs",
    "submit": "submit for approval",
    "suspend": "suspend",
    "no-op": "no change",
    "warning": "warning",
    "error": "error",
}

LEGEND_ORDER = ("create", "update", "relate", "submit", "suspend", "warning", "error")

_ANSI: dict[str, str] = {
    "create": "32",      # green
    "update": "33",      # yellow
    "relate": "36",      # cyan
    "submit": "34",      # blue
    "suspend": "31",     # red
    "warning": "1;33",   # bold yellow
    "error": "1;31",     # bold red
    "removed": "31",
    "added": "32",
    "dim": "2",
    "bold": "1",
}


def paint(text: str, role: str, color: bool) -> str:
    """Wrap in an ANSI colour only when the terminal wants colour (App.color)."""
    code = _ANSI.get(role)
    if not color or not code or not text:
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def lead_action(actions: tuple[str, ...]) -> str:
    """The action that names a change's symbol: the most consequential one."""
    for action in ("create", "suspend", "update", "relate", "submit"):
        if action in actions:
            return action
    return "no-op"
