"""Execute a Plan against the SP-API: crash-safe, idempotent, never a duplicate document.

Per (document, marketplace), in order: upload the images the lock lacks (each recorded at once),
build the body with real uploadDestinationIds, validate it with its ASINs (errors stop this
document only), create or update, relate the full desired ASIN set, submit for approval unless
the file says `submit: false`, suspend where the plan says so. Documents run concurrently; the
client's limiter keeps every operation inside its usage plan.

Why it is safe to kill at any moment:
- aplus.lock is saved (atomically) after every step that changes something live, so the next
  run knows every upload and every key this one got;
- a create happens only after a fresh searchContentDocuments read shows no document of that name
  (one is adopted otherwise), and a create whose answer was lost is looked up by name, not
  repeated; a create lost by a crash is found by the next run's refresh, by name;
- every other step (update, relate, submit, suspend) is idempotent on the server.

The executor never prints: it reports ApplyEvents to a callback that a view renders.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from aplusctl.engine.lock import Lock, save_lock
from aplusctl.engine.normalize import asins_hash as _hash_asins
from aplusctl.engine.normalize import body_hash as _hash_body
from aplusctl.engine.normalize import image_ids, normalized_hash
from aplusctl.engine.plan import Plan, ResourceChange
from aplusctl.engine.uploads import Uploader, UploadError
from aplusctl.redact import redact

# --- events and results --------------------------------------------------------------------------

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
    failed_step: str | None = None
    error: str | None = None
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    def did(self, step: str) -> bool:
        return step in self.steps_done


@dataclass
class ApplyResult:
    outcomes: list[DocOutcome]
    images_uploaded: int = 0
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


EventSink = Callable[[ApplyEvent], None]


class Client(Protocol):
    """The SpApiClient operations apply uses (see aplusctl.spapi.client)."""

    def search_content_documents(self, marketplace_id: str) -> AsyncIterator[Any]: ...
    async def create_content_document(self, marketplace_id: str, document: dict[str, Any]) -> str: ...
    async def update_content_document(
        self, content_reference_key: str, marketplace_id: str, document: dict[str, Any]
    ) -> Any: ...
    async def validate_content_document_asin_relations(
        self, marketplace_id: str, document: dict[str, Any], asin_set: list[str]
    ) -> Any: ...
    async def post_content_document_asin_relations(
        self, content_reference_key: str, marketplace_id: str, asin_set: list[str]
    ) -> Any: ...
    async def post_content_document_approval_submission(
        self, content_reference_key: str, marketplace_id: str
    ) -> Any: ...
    async def post_content_document_suspend_submission(
        self, content_reference_key: str, marketplace_id: str
    ) -> Any: ...


class DesiredLike(Protocol):
    """What apply needs from the loader's DesiredDocument."""

    name: str
    asins: tuple[str, ...]
    images: Mapping[str, Any]

    def body(self, marketplace_id: str, resolve: Callable[[str], str | None]) -> dict[str, Any]: ...


# --- API answer helpers -----------------------------------------------------------------------


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _messages(raw: Any) -> tuple[Message, ...]:
    out: list[Message] = []
    for item in raw or ():
        code = _field(item, "code") or "WARNING"
        message = _field(item, "message") or ""
        details = _field(item, "details") or ""
        out.append(Message(str(code), redact(str(message)), redact(str(details))))
    return tuple(out)


def _warnings_of(response: Any) -> tuple[Message, ...]:
    return _messages(_field(response, "warnings")) if response is not None else ()


def _record_name_key(record: Any) -> tuple[str | None, str | None]:
    key = _field(record, "contentReferenceKey", "content_reference_key")
    meta = _field(record, "contentMetadata", "content_metadata")
    name = _field(meta, "name") if meta is not None else _field(record, "name")
    return (str(name) if name is not None else None, str(key) if key is not None else None)


# --- the lock, saved after every step, group-committed -------------------------------------------


class LockCommitter:
    """Saves aplus.lock after each step without making concurrent steps queue on disk.

    Callers that commit while a save is running share the next save (group commit): every
    change is on disk before its caller goes on, yet N concurrent steps cost far fewer than N
    fsyncs. The snapshot is taken on the event loop, so the writer thread never sees a dict
    that is being changed.
    """

    def __init__(self, root: Path, lock: Lock) -> None:
        self._root = root
        self._lock = lock
        self._mutex = asyncio.Lock()
        self._changes = 0
        self._saved = 0
        self.saves = 0

    async def commit(self) -> None:
        self._changes += 1
        wanted = self._changes
        async with self._mutex:
            if self._saved >= wanted:
                return
            upto = self._changes
            snapshot = copy.deepcopy(self._lock)
            await asyncio.shield(asyncio.to_thread(save_lock, self._root, snapshot))
            self._saved = upto
            self.saves += 1


# --- the executor --------------------------------------------------------------------------------


def _awaits_generation(doc: Any, lock: Lock) -> bool:
    """A `generate:` stanza whose Pixii job has not completed: nothing to publish yet."""
    if getattr(doc, "generate", None) is None:
        return False
    from aplusctl.content.generated import pending_generation

    return pending_generation(doc, lock) is not None


class DocumentFailed(Exception):
    """Stops one document; the message is what the user sees."""

    def __init__(self, step: str, message: str, errors: tuple[Message, ...] = ()) -> None:
        super().__init__(message)
        self.step = step
        self.errors = errors


class _Stopped(Exception):
    """Ctrl-C arrived; this document stops before its next step."""


CREATE_ATTEMPTS = 3
# After a create without an answer, re-read the listing this many times (after these pauses)
# before concluding the document was not created and creating it again.
UNKNOWN_RECHECK_SECONDS: tuple[float, ...] = (0.5, 1.0)


class Executor:
    """Runs one plan. Create it inside the running event loop; call `run` once."""

    def __init__(
        self,
        client: Client,
        root: Path,
        lock: Lock,
        desired: Mapping[str, DesiredLike],
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
        # marketplace → name → keys, from a fresh read made before the first create there
        self._names: dict[str, dict[str, list[str]]] = {}
        self._names_lock: dict[str, asyncio.Lock] = {}

    # -- names: a fresh read of what exists, so a create never duplicates -------------------

    async def _read_names(self, marketplace_id: str) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        async for record in self.client.search_content_documents(marketplace_id):
            name, key = _record_name_key(record)
            if name is not None and key is not None:
                names.setdefault(name, []).append(key)
        return names

    async def _names_in(self, marketplace_id: str, refresh: bool = False) -> dict[str, list[str]]:
        guard = self._names_lock.setdefault(marketplace_id, asyncio.Lock())
        async with guard:
            if refresh or marketplace_id not in self._names:
                self._names[marketplace_id] = await self._read_names(marketplace_id)
            return self._names[marketplace_id]

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
            outcome.state = "failed"
            outcome.failed_step = exc.step
            outcome.error = redact(str(exc))
            outcome.errors.extend(exc.errors)
            self.emit(ApplyEvent(change.address, exc.step, "failed", outcome.error, exc.errors))  # type: ignore[arg-type]
            return
        except UploadError as exc:
            outcome.state = "failed"
            outcome.failed_step = "upload"
            outcome.error = redact(str(exc))
            self.emit(ApplyEvent(change.address, "upload", "failed", outcome.error))
            return
        except asyncio.CancelledError:
            outcome.state = "interrupted"
            raise
        except Exception as exc:  # noqa: BLE001 - one document's failure must not stop the others
            outcome.state = "failed"
            outcome.failed_step = outcome.failed_step or "document"
            outcome.error = redact(str(exc) or type(exc).__name__)
            self.emit(ApplyEvent(change.address, outcome.failed_step, "failed", outcome.error))  # type: ignore[arg-type]
            return
        outcome.state = "ok"
        self.emit(ApplyEvent(change.address, "document", "done", ", ".join(outcome.steps_done)))

    def _checkpoint(self) -> None:
        if self.stop.is_set():
            raise _Stopped()

    async def _step(self, outcome: DocOutcome, step: Step, call: Awaitable[Any], detail: str = "") -> Any:
        """Run one API step with its start/done events; its failure names the step."""
        self.emit(ApplyEvent(outcome.address, step, "start", detail))
        outcome.failed_step = step
        result = await call
        outcome.failed_step = None
        warnings = _warnings_of(result) if not isinstance(result, str) else ()
        if warnings:
            outcome.warnings.extend(warnings)
            self.emit(ApplyEvent(outcome.address, step, "warning", detail, warnings))
        outcome.steps_done.append(step)
        self.emit(ApplyEvent(outcome.address, step, "done", detail))
        return result

    async def _steps(self, change: ResourceChange, outcome: DocOutcome) -> None:
        actions = set(change.actions)
        mp = change.marketplace_id
        if self.show_plan_warnings and change.warnings:
            self.emit(ApplyEvent(change.address, "document", "warning", "from the plan", tuple(
                Message(w.code, w.message) for w in change.warnings)))
        doc = self.desired.get(change.name)
        if doc is not None and _awaits_generation(doc, self.lock):
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
            key = await self._create(change, outcome, body)
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
                                      asins_hash=_hash_asins(asins))
            await self.committer.commit()

        wants_submit = "submit" in actions or (
            change.submit and bool(actions & {"create", "update"}) and "suspend" not in actions
        )
        if wants_submit and "suspend" not in actions:
            assert key
            self._checkpoint()
            await self._step(
                outcome, "submit", self.client.post_content_document_approval_submission(key, mp)
            )

        if "suspend" in actions:
            if not key:
                raise DocumentFailed("suspend", "no content reference key to suspend")
            self._checkpoint()
            await self._step(
                outcome, "suspend", self.client.post_content_document_suspend_submission(key, mp)
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
        self, change: ResourceChange, outcome: DocOutcome, doc: DesiredLike
    ) -> dict[str, Any]:
        mp = change.marketplace_id
        resolved: dict[str, str] = {}
        missing = [img for img in doc.images.values()
                   if not self.lock.upload_for(img.sha256, mp)]
        for img in doc.images.values():
            known = self.lock.upload_for(img.sha256, mp)
            if known:
                resolved[img.path] = known

        async def up(img: Any) -> None:
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
        body = doc.body(mp, lambda path: resolved.get(path))
        unresolved = [p for p in doc.images if p not in resolved]
        if unresolved:
            raise DocumentFailed("upload", f"no upload for {', '.join(sorted(unresolved))}")
        return body

    async def _validate(
        self, outcome: DocOutcome, mp: str, body: dict[str, Any], asins: list[str]
    ) -> None:
        self.emit(ApplyEvent(outcome.address, "validate", "start"))
        outcome.failed_step = "validate"
        answer = await self.client.validate_content_document_asin_relations(mp, body, asins)
        outcome.failed_step = None
        warnings = _warnings_of(answer)
        if warnings:
            outcome.warnings.extend(warnings)
            self.emit(ApplyEvent(outcome.address, "validate", "warning", "", warnings))
        errors = _messages(_field(answer, "errors"))
        if errors:
            raise DocumentFailed(
                "validate",
                f"validation failed with {len(errors)} error{'s' if len(errors) != 1 else ''}; "
                "nothing was changed for this document",
                errors,
            )
        outcome.steps_done.append("validate")
        self.emit(ApplyEvent(outcome.address, "validate", "done"))

    async def _create(self, change: ResourceChange, outcome: DocOutcome, body: dict[str, Any]) -> str:
        from aplusctl.spapi.errors import CreateOutcomeUnknown

        mp = change.marketplace_id
        names = await self._names_in(mp)
        for attempt in range(CREATE_ATTEMPTS):
            existing = names.get(change.name, [])
            if len(existing) > 1:
                raise DocumentFailed(
                    "create",
                    f"{len(existing)} live documents are named {change.name!r}; pin one with "
                    "content_reference_key",
                )
            if existing:
                key = existing[0]
                self.emit(ApplyEvent(outcome.address, "adopt", "done",
                                     f"a document of this name already exists ({key})"))
                outcome.steps_done.append("adopt")
                self.lock.record_document(mp, change.name, content_reference_key=key)
                await self.committer.commit()
                await self._update(change, outcome, key, body)
                return key
            self.emit(ApplyEvent(outcome.address, "create", "start"))
            outcome.failed_step = "create"
            try:
                key = await self.client.create_content_document(mp, body)
            except CreateOutcomeUnknown:
                self.emit(ApplyEvent(outcome.address, "create", "warning",
                                     "no answer to create; looking the document up by name"))
                found: list[str] = []
                for delay in (0.0, *UNKNOWN_RECHECK_SECONDS):  # let a lagging listing catch up
                    await asyncio.sleep(delay)
                    names = await self._names_in(mp, refresh=True)
                    found = names.get(change.name, [])
                    if found:
                        break
                if len(found) == 1:
                    key = found[0]
                else:
                    continue  # absent after re-reads (create again) or ambiguous (the loop stops)
            outcome.failed_step = None
            known = names.setdefault(change.name, [])
            if key not in known:
                known.append(key)
            self.lock.record_document(mp, change.name, content_reference_key=key,
                                      applied_hash=_hash_body(body))
            await self.committer.commit()
            outcome.steps_done.append("create")
            self.emit(ApplyEvent(outcome.address, "create", "done", key))
            return key
        raise DocumentFailed("create", "create did not answer after several tries; run apply again")

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
                                  applied_hash=_hash_body(body))
        await self.committer.commit()


# --- Ctrl-C ------------------------------------------------------------------------------------


def install_interrupt(stop: asyncio.Event) -> Callable[[], None]:
    """First Ctrl-C (or SIGTERM, which CI runners send on cancel): finish in-flight calls, start
    nothing new. A second one: cancel at once. Returns a function that undoes this."""
    loop = asyncio.get_running_loop()
    presses = {"n": 0}
    main = asyncio.current_task()

    def on_signal() -> None:
        presses["n"] += 1
        stop.set()
        if presses["n"] > 1 and main is not None:
            main.cancel()

    installed: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, etc.
            pass

    def undo() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return undo


# --- the hidden crash-test hook ------------------------------------------------------------------


class CallTripwire:
    """Test hook: SIGKILL this process right after the n-th API call returns.

    Enabled only by the undocumented-for-users env var APLUSCTL_TEST_KILL_AFTER_CALLS (see
    tests/test_apply_crash.py). Killing after a response and before its effect is recorded is
    exactly the window crash safety has to cover. Every client operation counts, reads included.
    """

    def __init__(self, client: Any, after_calls: int) -> None:
        self._client = client
        self._left = after_calls

    def _tick(self) -> None:
        self._left -= 1
        if self._left <= 0:
            os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if not callable(target) or name.startswith("_") or name == "aclose":
            return target

        def wrap(*args: Any, **kwargs: Any) -> Any:
            inner = target(*args, **kwargs)
            if hasattr(inner, "__aiter__"):
                async def pages() -> AsyncIterator[Any]:
                    async for item in inner:
                        yield item
                    self._tick()
                return pages()
            if inspect.isawaitable(inner):
                async def call() -> Any:
                    result = await inner
                    self._tick()
                    return result
                return call()
            return inner
        return wrap
