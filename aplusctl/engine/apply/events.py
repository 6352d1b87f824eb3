"""What apply reports and returns: events for the progress view, outcomes for the summary.

The executor never prints: it sends ApplyEvents to a callback (render/apply_view.py renders
them) and returns an ApplyResult. A DocumentFailed raised by any step stops that document only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aplusctl.redact import redact

Step = Literal["plan", "upload", "validate", "create", "adopt", "update", "relate", "submit",
               "suspend", "document"]
State = Literal["start", "done", "warning", "failed", "skipped"]


@dataclass(frozen=True)
class Message:
    """A warning or error the API returned (code, message, details as sent)."""

    code: str
    message: str
    details: str = ""

    def __str__(self) -> str:
        tail = f" ({self.details})" if self.details else ""
        return f"{self.code}: {self.message}{tail}"


@dataclass(frozen=True)
class ApplyEvent:
    address: str
    step: Step
    state: State
    detail: str = ""
    messages: tuple[Message, ...] = ()


EventSink = Callable[[ApplyEvent], None]


@dataclass
class DocOutcome:
    """What happened to one (document, marketplace)."""

    address: str
    marketplace_id: str
    name: str
    actions: tuple[str, ...]
    content_reference_key: str | None = None
    state: Literal["pending", "running", "ok", "failed", "interrupted", "not-started"] = "pending"
    steps_done: list[str] = field(default_factory=list)
    images_uploaded: int = 0
    failed_step: Step | None = None
    error: str | None = None
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    def did(self, step: str) -> bool:
        return step in self.steps_done


@dataclass
class ApplyResult:
    outcomes: list[DocOutcome]
    images_uploaded: int = 0
    generations: int = 0      # Pixii generations run first, and the credits they cost
    pixii_credits: int = 0
    interrupted: bool = False
    target: str = ""

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(o.state == "ok" for o in self.outcomes)

    def count(self, step: str) -> int:
        return sum(1 for o in self.outcomes if o.did(step))

    @property
    def failed(self) -> list[DocOutcome]:
        return [o for o in self.outcomes if o.state == "failed"]


class DocumentFailed(Exception):
    """Stops one document; the message is what the user sees."""

    def __init__(self, step: Step, message: str, errors: tuple[Message, ...] = ()) -> None:
        super().__init__(message)
        self.step: Step = step
        self.errors = errors


def messages_of(answer: Mapping[str, Any] | None, kind: Literal["warnings", "errors"]
                ) -> tuple[Message, ...]:
    """The `warnings` or `errors` list of an SP-API answer, as Messages (redacted)."""
    if not isinstance(answer, Mapping):
        return ()
    return tuple(
        Message(str(item.get("code") or "WARNING"), redact(str(item.get("message") or "")),
                redact(str(item.get("details") or "")))
        for item in answer.get(kind) or ()
    )
