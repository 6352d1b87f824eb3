"""The per-document step sequence of apply, run for every change of a plan at once.

Per (document, marketplace), in order: upload the images the lock lacks (each recorded at once),
build the body with real uploadDestinationIds, validate it with its ASINs (errors stop this
document only), create (engine/apply/create.py) or update, relate the full desired ASIN set,
submit for approval unless the file says `submit: false`, suspend where the plan says so.
Documents run concurrently (`parallelism`); the client's limiter keeps every operation inside
its usage plan. aplus.lock is saved after every step that changes something live.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aplusctl.content.generated import pending_generation
from aplusctl.content.images import LocalImage
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.client import SpApi
from aplusctl.engine.apply.commit import LockCommitter
from aplusctl.engine.apply.create import Creator
from aplusctl.engine.apply.events import (
    ApplyEvent,
    ApplyResult,
    DocOutcome,
    DocumentFailed,
    EventSink,
    Message,
    Step,
    messages_of,
)
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import asins_hash, body_hash, image_ids, normalized_hash
from aplusctl.engine.plan import Plan, ResourceChange
from aplusctl.engine.apply.uploads import Uploader, UploadError
from aplusctl.redact import redact

T = TypeVar("T")


class _Stopped(Exception):
    """Ctrl-C arrived; this document stops before its next step."""


class Executor:
    """Runs one plan. Create it inside the running event loop; call `run` once."""

    def __init__(
        self,
        client: SpApi,
        root: Path,
        lock: Lock,
        desired: Mapping[str, DesiredDocument],
        on_event: EventSink,
        parallelism: int = 8,
        stop: asyncio.Event | None = None,
        show_plan_warnings: bool = False,
    ) -> None:
        self.show_plan_warnings = show_plan_warnings  # when no one saw the plan rendered
        self.client = client
        self.root = root
        self.lock = lock
        self.desired = desired
        self.emit = on_event
        self.parallelism = max(1, parallelism)
        self.stop = stop or asyncio.Event()
        self.committer = LockCommitter(root, lock)
        self.uploader = Uploader(client, root, lock, self.committer.commit)
        self.creator = Creator(client, lock, self.committer, on_event)

    # -- run ----------------------------------------------------------------------------------

    async def run(self, plan: Plan) -> ApplyResult:
        outcomes: list[DocOutcome] = []
        jobs: list[tuple[ResourceChange, DocOutcome]] = []
        for error in plan.errors:
            outcome = DocOutcome(error.address, "", error.address.split("/", 1)[-1], ())
            outcome.state = "failed"
            outcome.failed_step = "plan"
            outcome.error = error.message
            outcomes.append(outcome)
            self.emit(ApplyEvent(error.address, "plan", "failed", error.message))
        for change in plan.changes:
            if not change.changed and not change.uploads:
                if change.notable:  # e.g. nothing to publish: Premium goes up in Seller Central
                    self._plan_warnings(change)
                continue
            outcome = DocOutcome(
                change.address, change.marketplace_id, change.name, change.actions,
                content_reference_key=change.content_reference_key,
            )
            outcomes.append(outcome)
            jobs.append((change, outcome))

        gate = asyncio.Semaphore(self.parallelism)

        async def one(change: ResourceChange, outcome: DocOutcome) -> None:
            async with gate:
                if self.stop.is_set():
                    outcome.state = "not-started"
                    return
                await self._run_document(change, outcome)

        await asyncio.gather(*(one(c, o) for c, o in jobs))
        return ApplyResult(
            outcomes=outcomes,
            images_uploaded=self.uploader.uploaded,
            interrupted=self.stop.is_set(),
            target=plan.target,
        )

    def _fail(self, outcome: DocOutcome, step: Step, message: str,
              errors: tuple[Message, ...] = ()) -> None:
        outcome.state = "failed"
        outcome.failed_step = step
        outcome.error = redact(message)
        outcome.errors.extend(errors)
        self.emit(ApplyEvent(outcome.address, step, "failed", outcome.error, errors))

    async def _run_document(self, change: ResourceChange, outcome: DocOutcome) -> None:
        outcome.state = "running"
        self.emit(ApplyEvent(change.address, "document", "start", " ".join(change.actions)))
        try:
            await self._steps(change, outcome)
        except _Stopped:
            outcome.state = "interrupted"
            self.emit(ApplyEvent(change.address, "document", "skipped", "interrupted"))
            return
        except DocumentFailed as exc:
            self._fail(outcome, exc.step, str(exc), exc.errors)
            return
        except UploadError as exc:
            self._fail(outcome, "upload", str(exc))
            return
        except asyncio.CancelledError:
            outcome.state = "interrupted"
            raise
        except Exception as exc:  # noqa: BLE001 - one document's failure must not stop the others
            self._fail(outcome, outcome.failed_step or "document", str(exc) or type(exc).__name__)
            return
        outcome.state = "ok"
        self.emit(ApplyEvent(change.address, "document", "done", ", ".join(outcome.steps_done)))

    def _plan_warnings(self, change: ResourceChange) -> None:
        """The plan's warnings, when no one saw the plan rendered (a saved plan, JSON output)."""
        if self.show_plan_warnings and change.warnings:
            self.emit(ApplyEvent(change.address, "document", "warning", "from the plan", tuple(
                Message(w.code, w.message) for w in change.warnings)))

    def _checkpoint(self) -> None:
        if self.stop.is_set():
            raise _Stopped()

    async def _step(self, outcome: DocOutcome, step: Step, call: Awaitable[T],
                    detail: str = "") -> T:
        """Run one API step with its start/done events; its failure names the step."""
        self.emit(ApplyEvent(outcome.address, step, "start", detail))
        outcome.failed_step = step
        result = await call
        outcome.failed_step = None
        warnings = messages_of(result, "warnings") if isinstance(result, Mapping) else ()
        if warnings:
            outcome.warnings.extend(warnings)
            self.emit(ApplyEvent(outcome.address, step, "warning", detail, warnings))
        outcome.steps_done.append(step)
        self.emit(ApplyEvent(outcome.address, step, "done", detail))
        return result

    # -- the sequence for one (document, marketplace) ----------------------------------------

    async def _steps(self, change: ResourceChange, outcome: DocOutcome) -> None:
        actions = set(change.actions)
        mp = change.marketplace_id
        self._plan_warnings(change)
        doc = self.desired.get(change.name)
        if doc is not None and pending_generation(doc, self.lock) is not None:
            raise DocumentFailed(
                "document", "its modules come from a Pixii generation that has not completed; "
                "run apply (or `aplusctl generate`) again")
        writes = bool(actions & {"create", "update", "relate"})
        if writes and doc is None:
            raise DocumentFailed("document", f"{change.name!r} is no longer in the content files")
        key = change.content_reference_key

        body: dict[str, Any] | None = None
        if doc is not None and (writes or change.uploads):
            body = await self._uploads_and_body(change, outcome, doc)

        if writes:
            assert doc is not None and body is not None
            self._checkpoint()
            await self._validate(outcome, mp, body, list(doc.asins))

        if "create" in actions:
            assert body is not None
            self._checkpoint()
            key, adopted = await self.creator.create_or_adopt(change, outcome, body)
            if adopted:
                await self._update(change, outcome, key, body)
        elif "update" in actions:
            assert body is not None and key
            self._checkpoint()
            await self._update(change, outcome, key, body)

        if key:
            outcome.content_reference_key = key
            await self._remember(change, key)

        if doc is not None and ("relate" in actions or outcome.did("adopt")):
            assert key
            self._checkpoint()
            asins = sorted(set(doc.asins))
            await self._step(
                outcome, "relate",
                self.client.post_content_document_asin_relations(key, mp, asins),
                f"{len(asins)} ASIN{'s' if len(asins) != 1 else ''}",
            )
            self.lock.record_document(mp, change.name, content_reference_key=key,
                                      asins_hash=asins_hash(asins))
            await self.committer.commit()

        if "suspend" in actions:
            if not key:
                raise DocumentFailed("suspend", "no content reference key to suspend")
            self._checkpoint()
            await self._step(
                outcome, "suspend", self.client.post_content_document_suspend_submission(key, mp)
            )
        elif "submit" in actions or (change.submit and actions & {"create", "update"}):
            assert key
            self._checkpoint()
            await self._step(
                outcome, "submit", self.client.post_content_document_approval_submission(key, mp)
            )

    async def _remember(self, change: ResourceChange, key: str) -> None:
        """Record a document the lock does not know yet (e.g. created by a run killed before it
        could save), with the applied hash when the plan saw live content equal to the files."""
        mp = change.marketplace_id
        entry = self.lock.document(mp, change.name) or {}
        if entry.get("content_reference_key") == key and entry.get("applied_hash"):
            return
        same = change.before is not None and change.before == change.after and not any(
            str(i).startswith("local:") for i in image_ids(change.after))
        if entry.get("content_reference_key") == key and not same:
            return
        self.lock.record_document(mp, change.name, content_reference_key=key,
                                  applied_hash=normalized_hash(change.after) if same else None)
        await self.committer.commit()

    async def _uploads_and_body(
        self, change: ResourceChange, outcome: DocOutcome, doc: DesiredDocument
    ) -> dict[str, Any]:
        mp = change.marketplace_id
        resolved: dict[str, str] = {}
        missing: list[LocalImage] = []
        for img in doc.images.values():
            known = self.lock.upload_for(img.sha256, mp)
            if known:
                resolved[img.path] = known
            else:
                missing.append(img)

        async def up(img: LocalImage) -> None:
            self._checkpoint()
            self.emit(ApplyEvent(outcome.address, "upload", "start", img.path))
            done = await self.uploader.ensure(img, mp)
            resolved[img.path] = done.upload_destination_id
            if done.uploaded:
                outcome.images_uploaded += 1
            self.emit(ApplyEvent(outcome.address, "upload", "done",
                                 img.path if done.uploaded else f"{img.path} (already uploaded)"))

        results = await asyncio.gather(*(up(img) for img in missing), return_exceptions=True)
        for res in results:  # surface the first failure after the siblings have settled
            if isinstance(res, BaseException):
                raise res
        if missing:
            outcome.steps_done.append("upload")
        unresolved = [p for p in doc.images if p not in resolved]
        if unresolved:
            raise DocumentFailed("upload", f"no upload for {', '.join(sorted(unresolved))}")
        return doc.body(mp, resolved.get)

    async def _validate(
        self, outcome: DocOutcome, mp: str, body: dict[str, Any], asins: list[str]
    ) -> None:
        self.emit(ApplyEvent(outcome.address, "validate", "start"))
        outcome.failed_step = "validate"
        answer = await self.client.validate_content_document_asin_relations(mp, body, asins)
        outcome.failed_step = None
        warnings = messages_of(answer, "warnings")
        if warnings:
            outcome.warnings.extend(warnings)
            self.emit(ApplyEvent(outcome.address, "validate", "warning", "", warnings))
        errors = messages_of(answer, "errors")
        if errors:
            raise DocumentFailed(
                "validate",
                f"validation failed with {len(errors)} error{'s' if len(errors) != 1 else ''}; "
                "nothing was changed for this document",
                errors,
            )
        outcome.steps_done.append("validate")
        self.emit(ApplyEvent(outcome.address, "validate", "done"))

    async def _update(
        self, change: ResourceChange, outcome: DocOutcome, key: str, body: dict[str, Any]
    ) -> None:
        mp = change.marketplace_id
        detail = f"renamed from {change.previous_name!r}" if change.previous_name else ""
        await self._step(outcome, "update",
                         self.client.update_content_document(key, mp, body), detail)
        if change.previous_name:
            self.lock.rename_document(mp, change.previous_name, change.name)
        self.lock.record_document(mp, change.name, content_reference_key=key,
                                  applied_hash=body_hash(body))
        await self.committer.commit()
