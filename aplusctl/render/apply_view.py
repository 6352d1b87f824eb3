"""Apply progress and summary: live lines on a terminal, plain lines in CI, or one JSON object.

The executor reports ApplyEvents; this view only turns them into text. On a TTY, documents in
flight sit in a small region at the bottom that is redrawn in place; finished documents and
every warning are printed above it for good, so the scrollback is a complete record. Without a
TTY each step is one plain line, which is what CI logs want.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from aplusctl.engine.apply import ApplyEvent, ApplyResult, DocOutcome, Message
from aplusctl.redact import redact

APPLY_FORMAT_VERSION = 1

_DONE_WORDS = {
    "upload": "uploaded",
    "validate": "validated",
    "create": "created",
    "adopt": "adopted existing document",
    "update": "updated",
    "relate": "related",
    "submit": "submitted for approval",
    "suspend": "suspended",
}
_DOING_WORDS = {
    "upload": "uploading",
    "validate": "validating",
    "create": "creating",
    "update": "updating",
    "relate": "relating",
    "submit": "submitting",
    "suspend": "suspending",
    "document": "starting",
}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _msg_lines(messages: tuple[Message, ...] | list[Message], indent: str = "    ") -> list[str]:
    return [f"{indent}{redact(str(m))}" for m in messages]


class ApplyProgress:
    """Callback target for the executor: `progress(event)`."""

    def __init__(self, out: TextIO | None = None, tty: bool | None = None, color: bool = False) -> None:
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.color = color and self.tty
        self._live: dict[str, str] = {}   # address → what it is doing now (TTY only)
        self._uploads: dict[str, list[int]] = {}  # address → [started, finished] uploads
        self._drawn = 0

    # -- helpers ---------------------------------------------------------------------------

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def _clear_live(self) -> None:
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _draw_live(self) -> None:
        lines = [f"  {addr}: {doing}" for addr, doing in list(self._live.items())[:20]]
        if len(self._live) > 20:
            lines.append(f"  … and {len(self._live) - 20} more")
        for line in lines:
            self.out.write(self._paint(line, "2") + "\n")
        self._drawn = len(lines)

    def _permanent(self, lines: list[str]) -> None:
        if self.tty:
            self._clear_live()
        for line in lines:
            self.out.write(redact(line) + "\n")
        if self.tty:
            self._draw_live()
        self.out.flush()

    # -- the callback --------------------------------------------------------------------------

    def __call__(self, ev: ApplyEvent) -> None:
        addr = ev.address
        if ev.state == "warning":
            head = f"{addr}: {self._paint('warning', '33')} during {ev.step}"
            self._permanent([head + (f": {ev.detail}" if ev.detail else "")] + _msg_lines(ev.messages))
            return
        if ev.state == "failed":
            self._live.pop(addr, None)
            lines = [f"{self._paint('✗', '31') if self.tty else 'FAILED'} {addr}: {ev.step}: {ev.detail}"]
            self._permanent(lines + _msg_lines(ev.messages))
            return
        if self.tty:
            if ev.step == "document" and ev.state in ("done", "skipped"):
                self._live.pop(addr, None)
                self._uploads.pop(addr, None)
                mark = self._paint("✓", "32") if ev.state == "done" else self._paint("·", "33")
                words = ", ".join(_DONE_WORDS.get(s.strip(), s.strip()) for s in ev.detail.split(",") if s.strip())
                self._permanent([f"{mark} {addr}: {words or ev.detail or 'nothing to do'}"])
                return
            if ev.step == "upload":  # concurrent within a document: show a count, not a name
                counts = self._uploads.setdefault(addr, [0, 0])
                counts[0 if ev.state == "start" else 1] += 1
                self._live[addr] = f"uploading images ({counts[1]}/{counts[0]} done)"
            elif ev.state == "start":
                doing = _DOING_WORDS.get(ev.step, ev.step)
                self._live[addr] = f"{doing} {ev.detail}".rstrip()
            else:
                return
            self._clear_live()
            self._draw_live()
            self.out.flush()
            return
        # Plain lines: one per finished step.
        if ev.state == "start" and ev.step != "document":
            return
        if ev.step == "document":
            if ev.state == "start":
                self._permanent([f"{addr}: applying ({ev.detail})"])
            elif ev.state == "done":
                self._permanent([f"{addr}: done"])
            else:
                self._permanent([f"{addr}: stopped ({ev.detail})"])
            return
        word = _DONE_WORDS.get(ev.step, ev.step)
        self._permanent([f"{addr}: {word}" + (f" {ev.detail}" if ev.detail else "")])

    def close(self) -> None:
        if self.tty:
            self._live.clear()
            self._clear_live()
            self.out.flush()


# --- summary -------------------------------------------------------------------------------------


def summary_counts(result: ApplyResult) -> dict[str, int]:
    states = [o.state for o in result.outcomes]
    return {
        "generated": result.generations,
        "pixii_credits": result.pixii_credits,
        "created": result.count("create"),
        "adopted": result.count("adopt"),
        "updated": result.count("update") - result.count("adopt"),
        # relations made right after a create are part of creating it, as in the plan's summary
        "related": sum(1 for o in result.outcomes
                       if o.did("relate") and not o.did("create") and not o.did("adopt")),
        "images_uploaded": result.images_uploaded,
        "submitted": result.count("submit"),
        "suspended": result.count("suspend"),
        "failed": states.count("failed"),
        "interrupted": states.count("interrupted"),
        "not_started": states.count("not-started"),
        "succeeded": states.count("ok"),
    }


_DONE_PHRASES: tuple[tuple[str, str], ...] = (
    ("generated", "{} generated by Pixii"),
    ("pixii_credits", "{} spent"),
    ("created", "{} created"),
    ("adopted", "{} adopted"),
    ("updated", "{} updated"),
    ("related", "{} related"),
    ("images_uploaded", "{} uploaded"),
    ("submitted", "{} submitted for approval"),
    ("suspended", "{} suspended"),
)
_COUNTED = {"related": "ASIN set", "images_uploaded": "image", "generated": "document",
            "pixii_credits": "Pixii credit"}


def _done_phrase(c: dict[str, int]) -> str:
    return ", ".join(
        phrase.format(_plural(c[key], _COUNTED[key]) if key in _COUNTED else c[key])
        for key, phrase in _DONE_PHRASES if c[key]
    )


def summary_line(result: ApplyResult) -> str:
    """The closing sentence, in the plan's vocabulary."""
    c = summary_counts(result)
    done = _done_phrase(c)
    if result.interrupted:
        left = c["interrupted"] + c["not_started"]
        return (
            f"Apply interrupted: {done or 'nothing changed'}; "
            f"{_plural(left, 'document')} not finished. aplus.lock records everything done; "
            "run apply again to finish."
        )
    if c["failed"]:
        return (
            f"Apply failed: {_plural(c['failed'], 'document')} of {len(result.outcomes)} failed"
            + (f"; {done}." if done else "; nothing else changed.")
        )
    if not result.outcomes:
        return "Apply complete: no changes. Live A+ content matches the files."
    return f"Apply complete: {done or 'nothing changed'}."


def render_summary_text(result: ApplyResult) -> str:
    lines: list[str] = []
    failed = [o for o in result.outcomes if o.state == "failed"]
    if failed:
        lines.append("")
        lines.append("Failed:")
        for o in failed:
            lines.append(f"  {o.address}: {o.failed_step}: {o.error}")
            lines.extend(_msg_lines(o.errors, "      "))
    warned = [o for o in result.outcomes if o.warnings]
    if warned:
        lines.append("")
        lines.append("Warnings:")
        for o in warned:
            lines.append(f"  {o.address}:")
            lines.extend(_msg_lines(o.warnings, "      "))
    unfinished = [o for o in result.outcomes if o.state in ("interrupted", "not-started")]
    if unfinished:
        lines.append("")
        lines.append("Not finished:")
        for o in unfinished:
            did = ", ".join(o.steps_done) or "nothing"
            lines.append(f"  {o.address}: {'stopped after ' + did if o.state == 'interrupted' else 'not started'}")
    lines.append("")
    lines.append(summary_line(result))
    return redact("\n".join(lines)) + "\n"


def _messages_json(messages: list[Message]) -> list[dict[str, str]]:
    return [{"code": m.code, "message": m.message, "details": m.details} for m in messages]


def _outcome_json(o: DocOutcome) -> dict[str, Any]:
    return {
        "address": o.address,
        "marketplace_id": o.marketplace_id,
        "name": o.name,
        "actions": list(o.actions),
        "content_reference_key": o.content_reference_key,
        "state": o.state,
        "steps_done": list(o.steps_done),
        "images_uploaded": o.images_uploaded,
        "failed_step": o.failed_step if o.state == "failed" else None,
        "error": o.error,
        "errors": _messages_json(o.errors),
        "warnings": _messages_json(o.warnings),
    }


def render_json(result: ApplyResult, extra: dict[str, Any] | None = None) -> str:
    data: dict[str, Any] = {
        "format_version": APPLY_FORMAT_VERSION,
        "target": result.target,
        "ok": result.ok,
        "interrupted": result.interrupted,
        "summary": summary_counts(result),
        "message": summary_line(result),
        "documents": [_outcome_json(o) for o in result.outcomes],
    }
    if extra:
        data.update(extra)
    return redact(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
