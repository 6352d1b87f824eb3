"""The plan's data model: what apply would do to each (document, marketplace), and why.

Vocabulary:
- address: "<country>/<document name>", e.g. "US/Chef Knife" — what users type and read.
- actions: a non-empty tuple drawn from ACTIONS, in execution order; ("no-op",) alone when nothing
  is to be done.
- drift: how the change came about, judged against the body hash apply recorded in aplus.lock:
  "none" (no recorded apply, or nothing moved), "local" (the files changed), "live" (someone
  changed the document in Seller Central), "conflict" (both, differently).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from aplusctl.engine.diff import FieldChange

Action = Literal["create", "update", "relate", "submit", "suspend", "no-op"]
ACTIONS: tuple[Action, ...] = ("create", "update", "relate", "submit", "suspend", "no-op")
DriftKind = Literal["none", "local", "live", "conflict"]

PLAN_FORMAT_VERSION = 1
NOTHING_TO_PUBLISH = "nothing-to-publish"
PREMIUM_ASSETS_ONLY = "premium-assets-only"


@dataclass(frozen=True)
class ImageUpload:
    """A local file the lock has no upload for in this marketplace: apply uploads it first."""

    path: str
    sha256: str
    marketplace_id: str
    size: int = 0
    mime: str = ""


@dataclass(frozen=True)
class PlanWarning:
    """Something shown, not hidden, that apply will do or that the reviewer must know.

    code: "asin-owned-elsewhere" | "asin-removed" | "resubmit-in-review" | "rejected"
          | "premium-assets-only" | "nothing-to-publish" | "live-edit-overwritten"
    """

    code: str
    message: str


@dataclass(frozen=True)
class Generation:
    """A Pixii generation the plan needs (issue 7); `needed` False once aplus.lock records it."""

    stanza_hash: str
    types: tuple[str, ...]
    credits: int
    needed: bool = True
    note: str = ""


@dataclass(frozen=True)
class ResourceChange:
    address: str                      # "US/Chef Knife"
    marketplace_id: str
    name: str                         # the document's name in the files
    path: str                         # the content file, repo-relative
    actions: tuple[Action, ...]
    reason: str                       # one human sentence: why these actions
    content_reference_key: str | None = None   # None until created
    previous_name: str | None = None  # set when this update renames the live document
    live_status: str | None = None    # DRAFT | SUBMITTED | APPROVED | REJECTED | None (absent)
    before: dict[str, Any] | None = None   # normalised live ContentDocument (None: absent)
    after: dict[str, Any] | None = None    # normalised desired ContentDocument; images the lock
                                           # cannot resolve keep "local:<path>"
    diff: tuple[FieldChange, ...] = ()
    unchanged_fields: int = 0         # leaf fields equal on both sides (hidden in views)
    asins_before: tuple[str, ...] = ()     # sorted
    asins_after: tuple[str, ...] = ()      # sorted
    asins_added: tuple[str, ...] = ()
    asins_removed: tuple[str, ...] = ()
    uploads: tuple[ImageUpload, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    rejection_reasons: tuple[str, ...] = ()
    drift: DriftKind = "none"
    drift_note: str = ""
    generation: Generation | None = None
    submit: bool = True               # the file's `submit:` (apply submits after create/update)

    @property
    def changed(self) -> bool:
        return self.actions != ("no-op",)

    @property
    def notable(self) -> bool:
        """Shown in the plan views: it changes something, needs a Pixii generation, or the
        files ask for something the SP-API cannot do (nothing to publish)."""
        return (self.changed or bool(self.uploads)
                or (self.generation is not None and self.generation.needed)
                or any(w.code == NOTHING_TO_PUBLISH for w in self.warnings))


@dataclass(frozen=True)
class UnmanagedDocument:
    """A live document no file declares: reported, never touched (unless pruning suspends it)."""

    address: str
    marketplace_id: str
    name: str
    content_reference_key: str
    status: str


@dataclass(frozen=True)
class PlanError:
    """A problem that stops this document from being planned (the others still are)."""

    address: str
    message: str


@dataclass(frozen=True)
class Summary:
    create: int = 0
    update: int = 0
    relate: int = 0
    submit: int = 0
    suspend: int = 0
    no_op: int = 0
    uploads: int = 0
    credits: int = 0
    unmanaged: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Plan:
    changes: tuple[ResourceChange, ...]          # one per (document, marketplace), no-ops included
    target: str = ""                             # "sandbox (.aplusctl/sandbox.sqlite)", ...
    unmanaged: tuple[UnmanagedDocument, ...] = ()
    errors: tuple[PlanError, ...] = ()
    uploads: tuple[ImageUpload, ...] = ()        # distinct (sha256, marketplace) across changes
    credits: int = 0                             # Pixii credits the needed generations cost
    fingerprint: dict[str, Any] = field(default_factory=dict)  # see engine/fingerprint.py
    format_version: int = PLAN_FORMAT_VERSION

    @property
    def summary(self) -> Summary:
        counts = {a: 0 for a in ACTIONS}
        for change in self.changes:
            for action in change.actions:
                counts[action] += 1
        return Summary(
            create=counts["create"],
            update=counts["update"],
            relate=counts["relate"],
            submit=counts["submit"],
            suspend=counts["suspend"],
            no_op=counts["no-op"],
            uploads=len(self.uploads),
            credits=self.credits,
            unmanaged=len(self.unmanaged),
            errors=len(self.errors),
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.uploads) or self.credits > 0 or any(c.changed for c in self.changes)
