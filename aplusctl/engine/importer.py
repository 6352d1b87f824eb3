"""Import: adopt live A+ documents into content files, so the repo starts from what is live.

Three steps, kept apart so the middle one stays pure and testable:
1. `read_live` (I/O): searchContentDocuments per marketplace, then for each selected document
   getContentDocument (CONTENTS, METADATA) and listContentDocumentAsinRelations, concurrently;
2. `plan_import`: each live document → a content file text (sugared, canonical format) or a
   reason to skip it. Every file is checked the strictest way there is: it is loaded by the
   real loader and its expanded body must normalise to exactly the live body — so `plan` right
   after import shows no change, and a document that cannot round-trip is skipped, not mangled;
3. `write_import` (I/O): the files, then aplus.lock (key, applied_hash, asins_hash), as apply
   records them.

Choices (docs/import.md): one file per (marketplace, document), with `content_reference_key`
pinned (a file pins one key, and each marketplace's document has its own); a document that does
not pass `validate` as it is (names over 100 characters, empty texts, limits broken by content
made in Seller Central) is skipped with the loader's reasons, because one invalid file stops
`plan` for the whole repo.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aplusctl import marketplaces as mp
from aplusctl.config import RepoConfig
from aplusctl.content.fmt import format_text
from aplusctl.content.loader import content_files, load_repo
from aplusctl.content.images import ImageCache, ImageProblem
from aplusctl.content.sugar import Unrepresentable, localize_images, sugar_module
from aplusctl.engine.client import SpApi
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import asins_hash, body_hash, normalize_document
from aplusctl.errors import UserError
from aplusctl.spapi.errors import InvalidInput, NotFound

SCHEMA_FILE = "schemas/content.schema.json"
PER_OPERATION = 6          # in-flight calls per operation (the client's limiter paces them)
MAX_SLUG = 60
UNSUBMITTED = ("DRAFT", "REJECTED")  # statuses imported as `submit: false`, so plan stays quiet


@dataclass(frozen=True)
class LiveRead:
    """One live document as import reads it; `document` None when it could not be read."""

    marketplace_id: str
    content_reference_key: str
    name: str
    status: str
    document: dict[str, Any] | None = None
    asins: tuple[str, ...] = ()
    read_error: str | None = None

    @property
    def address(self) -> str:
        return f"{_country(self.marketplace_id)}/{self.name}"


@dataclass(frozen=True)
class Declared:
    """What an existing content file declares, read leniently (broken files still count)."""

    path: str                          # repo-relative
    name: str | None
    previous_names: tuple[str, ...]
    marketplaces: tuple[str, ...]      # marketplaceIds
    content_reference_key: str | None

    def uses_name(self, doc: LiveRead) -> bool:
        return doc.marketplace_id in self.marketplaces and (doc.name == self.name or doc.name in self.previous_names)

    def declares(self, doc: LiveRead) -> bool:
        if doc.marketplace_id not in self.marketplaces:
            return False
        if self.content_reference_key:
            return self.content_reference_key == doc.content_reference_key
        return self.uses_name(doc)


@dataclass(frozen=True)
class Imported:
    """A file to write and the lock entry that goes with it."""

    live: LiveRead
    path: str                          # repo-relative
    text: str
    applied_hash: str
    asins_hash: str
    overwrites: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A selected document left alone. `kept`: a file already declares it (not a problem)."""

    live: LiveRead
    reason: str
    kept: bool = False


@dataclass
class ImportResult:
    imported: list[Imported] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)   # NAME patterns that selected nothing


# --- 1. reading --------------------------------------------------------------------------------


def matches(doc_name: str, address: str, patterns: Sequence[str]) -> bool:
    """NAME selects a document by its exact name, `US/name` address, or a shell glob of either."""
    return any(
        p in (doc_name, address) or fnmatch.fnmatchcase(doc_name, p) or fnmatch.fnmatchcase(address, p)
        for p in patterns
    )


async def read_live(
    client: SpApi, marketplace_ids: Sequence[str], names: Sequence[str] | None
) -> tuple[list[LiveRead], list[str]]:
    """The selected live documents in full (all when `names` is None), and the NAMEs that matched none."""
    pools: dict[str, asyncio.Semaphore] = {}

    def pool(op: str) -> asyncio.Semaphore:
        return pools.setdefault(op, asyncio.Semaphore(PER_OPERATION))

    async def listing(mid: str) -> list[LiveRead]:
        async with pool("searchContentDocuments"):
            found: list[LiveRead] = []
            async for item in client.search_content_documents(mid):
                meta = item.get("contentMetadata") or {}
                found.append(LiveRead(mid, item["contentReferenceKey"], str(meta.get("name", "")),
                                      str(meta.get("status", ""))))
            return found

    async def detail(listed: LiveRead) -> LiveRead:
        key, mid = listed.content_reference_key, listed.marketplace_id

        async def get() -> dict[str, Any]:
            async with pool("getContentDocument"):
                try:
                    return await client.get_content_document(key, mid, ("CONTENTS", "METADATA"))
                except (InvalidInput, NotFound) as exc:
                    return {"read_error": exc.message + (f" ({exc.details})" if exc.details else "")}

        async def related() -> list[str]:
            async with pool("listContentDocumentAsinRelations"):
                try:
                    return [a["asin"] async for a in client.list_content_document_asin_relations(key, mid)]
                except NotFound:
                    return []

        got, asins = await asyncio.gather(get(), related())
        record = got.get("contentRecord") or {}
        meta = record.get("contentMetadata") or {}
        return LiveRead(
            marketplace_id=mid,
            content_reference_key=key,
            name=str(meta.get("name", listed.name)),
            status=str(meta.get("status", listed.status)),
            document=record.get("contentDocument"),
            asins=tuple(sorted(set(asins))),
            read_error=got.get("read_error") or (None if record.get("contentDocument") is not None
                                                 else "no contents in the answer"),
        )

    listings = await asyncio.gather(*(listing(m) for m in marketplace_ids))
    listed = [d for found in listings for d in found]
    if names is None:
        chosen = listed
        unmatched: list[str] = []
    else:
        chosen = [d for d in listed if matches(d.name, d.address, names)]
        unmatched = [n for n in names if not any(matches(d.name, d.address, [n]) for d in listed)]
    read = await asyncio.gather(*(detail(d) for d in chosen))
    order = {m: i for i, m in enumerate(marketplace_ids)}  # the first marketplace gets the plain file names
    return sorted(read, key=lambda d: (order[d.marketplace_id], d.name.lower(), d.content_reference_key)), unmatched


def declared_documents(root: Path, config: RepoConfig) -> list[Declared]:
    """Every content file's identity fields, read without validation."""
    files, _ = content_files(root, config)
    out: list[Declared] = []
    for path in files:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        if not isinstance(data, dict):
            out.append(Declared(rel, None, (), (), None))
            continue
        codes = data.get("marketplaces") or config.marketplaces
        ids = tuple(m.marketplace_id for m in (mp.lookup(str(c)) for c in codes if isinstance(c, str)) if m)
        name = data.get("name")
        previous = data.get("previous_names")
        key = data.get("content_reference_key")
        out.append(Declared(
            rel,
            name if isinstance(name, str) else None,
            tuple(p for p in previous if isinstance(p, str)) if isinstance(previous, list) else (),
            ids,
            key if isinstance(key, str) else None,
        ))
    return out


# --- 2. the files ------------------------------------------------------------------------------


def _country(marketplace_id: str) -> str:
    found = mp.lookup(marketplace_id)
    return found.country if found else marketplace_id


def slug(name: str) -> str:
    """A file-name-safe form of a document name: ascii, lower case, dashes, at most 60 characters."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if len(text) > MAX_SLUG:
        text = text[:MAX_SLUG].rsplit("-", 1)[0] if "-" in text[:MAX_SLUG] else text[:MAX_SLUG]
    return text or "document"


class _Flow(list):  # type: ignore[type-arg]
    """A list written `[a, b]`."""


class _FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written `{k: v}` (images, as the examples write them)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))


def _flow_images(node: Any) -> Any:
    if isinstance(node, list):
        return [_flow_images(v) for v in node]
    if isinstance(node, dict):
        out = {k: _flow_images(v) for k, v in node.items()}
        if "upload_destination_id" in node or "src" in node:  # an image sugar: one line, as in the examples
            return _FlowMap({k: _FlowMap(v) if isinstance(v, dict) else v for k, v in out.items()})
        return out
    return node


def file_data(live: LiveRead, modules: list[dict[str, Any]]) -> dict[str, Any]:
    """The file's top level, in fmt's canonical key order; only what differs from the defaults."""
    assert live.document is not None
    market = mp.lookup(live.marketplace_id)
    data: dict[str, Any] = {"name": live.name, "content_reference_key": live.content_reference_key}
    if live.status in UNSUBMITTED:
        data["submit"] = False
    locale = live.document.get("locale")
    if market is None or locale != market.locale:
        data["locale"] = locale
    data["marketplaces"] = _Flow([_country(live.marketplace_id)])
    if live.asins:
        data["asins"] = _Flow(live.asins)
    data["modules"] = [_flow_images(m) for m in modules]
    return data


def local_images(root: Path, lock: Lock, marketplace_id: str, cache: ImageCache) -> dict[str, tuple[str, int, int]]:
    """uploadDestinationId → (path, width, height) of files aplus.lock says were uploaded there
    and that the repo still holds unchanged (same sha256)."""
    out: dict[str, tuple[str, int, int]] = {}
    for sha, per_market in sorted(lock.uploads.items()):
        entry = per_market.get(marketplace_id) or {}
        udi, path = entry.get("upload_destination_id"), entry.get("path")
        if not (isinstance(udi, str) and isinstance(path, str)):
            continue
        try:
            image = cache.get(path)
        except ImageProblem:
            continue
        if image.sha256 == sha:
            out.setdefault(udi, (image.path, image.width, image.height))
    return out


def render_file(live: LiveRead, rel_path: str, local: dict[str, tuple[str, int, int]] | None = None) -> str:
    """The content file for one live document, canonically formatted; raises Unrepresentable.

    Images whose file the repo holds (`local`, see `local_images`) are written as `{src: ...}`.
    """
    assert live.document is not None
    raw_modules = live.document.get("contentModuleList")
    if not isinstance(raw_modules, list) or not raw_modules:
        raise Unrepresentable("contentModuleList", "the document has no modules")
    modules = [localize_images(sugar_module(m, i), local or {}) for i, m in enumerate(raw_modules)]
    schema = os.path.relpath(SCHEMA_FILE, os.path.dirname(rel_path) or ".").replace(os.sep, "/")
    header = f"# yaml-language-server: $schema={schema}\n"
    body = yaml.dump(file_data(live, modules), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=1_000_000, default_flow_style=False)
    # a blank line between modules, as hand-written files have (PyYAML puts module items at column 0)
    head, sep, tail = body.partition("\nmodules:\n")
    tail = re.sub(r"\n(?=- )", "\n\n", tail)
    return format_text(header + head + sep + tail, rel_path)


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path or "the document"


def check_round_trip(
    root: Path, config: RepoConfig, live: LiveRead, text: str, lock: Lock
) -> tuple[str | None, str, list[str]]:
    """Load `text` with the real loader: (problem or None, applied_hash, warnings).

    The problem is the loader's errors, or where the expanded body (local images resolved
    through aplus.lock, as plan does) differs from the live one.
    """
    assert live.document is not None
    with tempfile.TemporaryDirectory(prefix="aplusctl-import-") as tmp:
        path = Path(tmp) / "document.yaml"
        path.write_text(text, encoding="utf-8")
        result = load_repo(root, config, [path])
    errors = [d for d in result.diagnostics if d.severity == "error"]
    warnings = [f"{d.field + ': ' if d.field else ''}{d.message}" for d in result.diagnostics if d.severity != "error"]
    if errors or not result.documents:
        shown = "; ".join(f"{d.field + ': ' if d.field else ''}{d.message}" for d in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        return f"it would not pass validate as it is live: {shown or 'not loadable'}{more}", "", warnings
    desired_doc = result.documents[0]

    def resolve(path: str) -> str | None:
        image = desired_doc.images.get(path)
        return lock.upload_for(image.sha256, live.marketplace_id) if image is not None else None

    body = desired_doc.body(live.marketplace_id, resolve)
    desired, actual = normalize_document(body), normalize_document(live.document)
    if desired != actual:
        where = _first_difference(actual, desired)
        content_type = live.document.get("contentType")
        if where == "contentType" and content_type in ("EBC", "EMC"):
            why = (f"its contentType is {content_type!r} but aplusctl.yaml's account_type makes "
                   f"{config.content_type!r}")
        elif where == "contentType":
            why = (f"its contentType {content_type!r} is not one aplusctl can represent (EBC or EMC; "
                   "Brand Story is edited in Seller Central)")
        elif where.startswith("contentSubType"):
            why = f"it has contentSubType {live.document.get('contentSubType')!r}, which content files cannot express"
        else:
            why = f"a content file cannot express it exactly (differs at {where})"
        return why, "", warnings
    return None, body_hash(body), warnings


def _file_names(live: LiveRead) -> list[str]:
    base = slug(live.name)
    country = _country(live.marketplace_id).lower()
    return [f"{base}.yaml", f"{base}-{country}.yaml", f"{base}-{country}-{live.content_reference_key[:8]}.yaml"]


def plan_import(
    root: Path,
    config: RepoConfig,
    documents: Sequence[LiveRead],
    declared: Sequence[Declared],
    out_dir: str,
    lock: Lock,
    *,
    force: bool = False,
) -> ImportResult:
    """Decide, for each live document, the file to write or why it is skipped (writes nothing)."""
    result = ImportResult()
    cache = ImageCache(root)
    local: dict[str, dict[str, tuple[str, int, int]]] = {}
    taken = {d.path for d in declared}
    named: dict[tuple[str, str], int] = {}
    for doc in documents:
        named[(doc.marketplace_id, doc.name)] = named.get((doc.marketplace_id, doc.name), 0) + 1
    for doc in documents:
        owners = [d for d in declared if d.declares(doc)]
        overwrite: str | None = None
        if owners:
            where = ", ".join(o.path for o in owners)
            if not force:
                result.skipped.append(Skipped(doc, f"already declared in {where} (--force rewrites it from live)", kept=True))
                continue
            others = [o for o in owners if len(o.marketplaces) != 1]
            if len(owners) > 1 or others:
                result.skipped.append(Skipped(doc, f"declared in {where}, which also covers other marketplaces or "
                                                   "files; edit it by hand"))
                continue
            overwrite = owners[0].path
        if doc.read_error is not None or doc.document is None:
            result.skipped.append(Skipped(doc, f"cannot be read through SP-API ({doc.read_error}); Premium A+ and "
                                               "Brand Story documents are edited in Seller Central only"))
            continue
        clash = [d.path for d in declared if d.uses_name(doc) and not d.declares(doc)]
        if clash and overwrite is None:
            result.skipped.append(Skipped(doc, f"{', '.join(clash)} already uses this name in "
                                               f"{_country(doc.marketplace_id)} for another document; rename one"))
            continue
        if named[(doc.marketplace_id, doc.name)] > 1:
            result.skipped.append(Skipped(doc, f"{named[(doc.marketplace_id, doc.name)]} live documents share this name "
                                               "and aplusctl knows documents by name; rename all but one in Seller "
                                               "Central, then import"))
            continue
        candidates = [f"{out_dir}/{n}" if out_dir else n for n in _file_names(doc)]
        path = overwrite or next((p for p in candidates if p not in taken and not (root / p).exists()), None)
        if path is None:
            result.skipped.append(Skipped(doc, f"every file name tried ({', '.join(_file_names(doc))}) is taken"))
            continue
        try:
            if doc.marketplace_id not in local:
                local[doc.marketplace_id] = local_images(root, lock, doc.marketplace_id, cache)
            text = render_file(doc, path, local[doc.marketplace_id])
        except Unrepresentable as exc:
            result.skipped.append(Skipped(doc, f"{exc}"))
            continue
        except UserError as exc:
            result.skipped.append(Skipped(doc, f"could not be formatted as YAML: {exc}"))
            continue
        problem, applied, warnings = check_round_trip(root, config, doc, text, lock)
        if problem is not None:
            result.skipped.append(Skipped(doc, problem))
            continue
        notes = list(warnings)
        if doc.status in UNSUBMITTED:
            notes.append(f"live status {doc.status}: written with submit: false; set it to true to submit")
        if path != candidates[0] and overwrite is None and (root / candidates[0]).exists():
            notes.append(f"{candidates[0]} already holds another document or file, so it is left alone")
        taken.add(path)
        result.imported.append(Imported(doc, path, text, applied, asins_hash(doc.asins),
                                        overwrites=overwrite is not None, notes=tuple(notes)))
    return result


# --- 3. writing --------------------------------------------------------------------------------


def write_import(root: Path, result: ImportResult, lock: Lock) -> None:
    """Write each file (a new file never replaces one that appeared meanwhile) and record it in
    `lock`; the caller saves the lock even when this stops half way."""
    for item in result.imported:
        target = root / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(target, "w" if item.overwrites else "x", encoding="utf-8") as fh:
                fh.write(item.text)
        except FileExistsError:
            raise UserError(f"{item.path} appeared while importing; nothing more was written") from None
        except OSError as exc:
            raise UserError(f"cannot write {item.path}: {exc.strerror}") from None
        lock.record_document(item.live.marketplace_id, item.live.name,
                             content_reference_key=item.live.content_reference_key,
                             applied_hash=item.applied_hash, asins_hash=item.asins_hash)
