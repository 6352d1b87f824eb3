"""`load_repo()`: content files → desired state (DesiredDocument) plus every problem found.

Each file goes YAML (with positions) → file model → module sugar expansion → SP-API models →
lint rules, and every problem on the way becomes a Diagnostic at the YAML node the user wrote.
Nothing stops at the first problem: one run reports everything, across all files. Only files
without errors yield documents; callers refuse to plan while `diagnostics` holds errors.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aplusctl import marketplaces as mp
from aplusctl.config import RepoConfig
from aplusctl.content.diagnostics import Diagnostic
from aplusctl.content.expand import LOCAL_PREFIX, did_you_mean, expand_module, to_source, type_name
from aplusctl.content.file_model import GENERATE_KEYS, TOP_LEVEL_KEYS, ContentFile, pydantic_problems
from aplusctl.content.images import ImageCache, LocalImage
from aplusctl.content.models import parse_module, to_api
from aplusctl.content.rules import RuleContext, run_rules
from aplusctl.content.yamlpos import FieldPath, Located, YamlError, format_path, load_located

__all__ = ["DesiredDocument", "LoadResult", "LocalImage", "load_repo", "content_files"]

CONTENT_SUFFIXES = (".yaml", ".yml")
# Errors the sugar expansion already reports in the user's own terms.
_EXPANSION_OWNS = {"extra_forbidden", "module_body_key", "module_body_missing"}


@dataclass(frozen=True)
class DesiredDocument:
    """One content file, expanded to the API's own shape; one live document per marketplace."""

    name: str
    path: str                                  # repo-relative
    marketplaces: tuple[str, ...]              # marketplaceIds, file order
    locales: Mapping[str, str]                 # marketplaceId → locale
    asins: tuple[str, ...]
    previous_names: tuple[str, ...]
    content_reference_key: str | None
    submit: bool
    suspended: bool
    generate: Mapping[str, Any] | None         # the stanza as written (snake_case), None when absent
    content_type: str                          # "EBC" seller, "EMC" vendor
    modules: list[dict[str, Any]]              # ContentModule dicts; local images as `local:<path>`
    images: Mapping[str, LocalImage] = field(default_factory=dict)  # repo-relative path → image

    def body(self, marketplace_id: str, resolve: Callable[[str], str | None] | None = None) -> dict[str, Any]:
        """The ContentDocument for one marketplace; `resolve(path)` swaps `local:` placeholders."""
        modules = self.modules if resolve is None else [_swap(m, resolve) for m in self.modules]
        return {
            "name": self.name,
            "contentType": self.content_type,
            "locale": self.locales[marketplace_id],
            "contentModuleList": modules,
        }


def _swap(node: Any, resolve: Callable[[str], str | None]) -> Any:
    if isinstance(node, dict):
        out = {k: _swap(v, resolve) for k, v in node.items()}
        ref = out.get("uploadDestinationId")
        if isinstance(ref, str) and ref.startswith(LOCAL_PREFIX):
            found = resolve(ref[len(LOCAL_PREFIX):])
            if found is not None:
                out["uploadDestinationId"] = found
        return out
    if isinstance(node, list):
        return [_swap(v, resolve) for v in node]
    return node


@dataclass
class LoadResult:
    documents: list[DesiredDocument]
    diagnostics: list[Diagnostic]
    files: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def repo_path(path: Path, root: Path) -> str:
    """`path` relative to the repo root, forward slashes; as given when outside the repo."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def yaml_files_under(directory: Path, root: Path) -> list[Path]:
    """YAML files below `directory`, sorted, skipping hidden directories (.git, .github) and the
    repo's own config: the files validate loads and fmt formats."""
    return [
        path for path in sorted(directory.rglob("*"))
        if path.suffix in CONTENT_SUFFIXES and path != root / "aplusctl.yaml"
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)
        and path.is_file()
    ]


def content_files(root: Path, config: RepoConfig, paths: Iterable[Path] | None = None) -> tuple[list[Path], list[Diagnostic]]:
    """The content files to load: every *.yaml/*.yml under content_dir, or under `paths`."""
    diags: list[Diagnostic] = []
    targets = [root / config.content_dir] if paths is None else [p if p.is_absolute() else root / p for p in paths]
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            found.extend(yaml_files_under(target, root))
        elif target.is_file():
            if target.resolve() != (root / "aplusctl.yaml").resolve():  # checked as the config
                found.append(target)
        elif paths is None:
            diags.append(Diagnostic("aplusctl.yaml", 1, 1, "content_dir",
                                    f"content directory {config.content_dir!r} does not exist"))
        else:
            diags.append(Diagnostic(repo_path(target, root), 1, 1, "", "no such file or directory"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, diags


class _File:
    """Everything known about one file while it is being loaded."""

    def __init__(self, rel: str, located: Located) -> None:
        self.rel = rel
        self.located = located
        self.origin: dict[FieldPath, FieldPath] = {}
        self.module_index: list[int] = []  # document module index → file module index
        self.diags: list[Diagnostic] = []
        self.yaml_paths = [p.path for p in located.problems]
        for problem in located.problems:
            self.diags.append(Diagnostic(rel, problem.line, problem.col, format_path(problem.path), problem.message))

    def error(self, src: FieldPath, message: str) -> None:
        if any(src[: len(p)] == p for p in self.yaml_paths):
            return  # the YAML problem there (a bad tag, a duplicate key) already says it
        line, col = self.located.locate(src)
        self.diags.append(Diagnostic(self.rel, line, col, format_path(src), message))

    def doc_to_file(self, path: FieldPath) -> FieldPath:
        if len(path) >= 2 and path[0] == "modules" and isinstance(path[1], int) and path[1] < len(self.module_index):
            path = ("modules", self.module_index[path[1]]) + path[2:]
        return to_source(path, self.origin)

    def locate(self, path: FieldPath) -> tuple[FieldPath, int, int]:
        src = self.doc_to_file(path)
        line, col = self.located.locate(src)
        return src, line, col


def _top_level(f: _File, data: dict[str, Any]) -> ContentFile | None:
    raw = {k: v for k, v in data.items() if k != "modules"}
    raw["modules"] = []
    try:
        return ContentFile.model_validate(raw)
    except ValidationError as exc:
        for loc, kind, message in pydantic_problems(exc):
            if kind == "extra_forbidden":
                keys = GENERATE_KEYS if loc[:1] == ("generate",) and len(loc) == 2 else TOP_LEVEL_KEYS
                message = f"unknown key {loc[-1]!r}{did_you_mean(str(loc[-1]), keys)}"
            f.error(loc, message)
        return None


def _modules(f: _File, raw_modules: Any, cache: ImageCache) -> tuple[list[dict[str, Any]], dict[str, LocalImage], bool]:
    """Expand and check every module; (valid modules in API shape, images, all valid?)."""
    if not isinstance(raw_modules, list):
        f.error(("modules",), f"expected a list of modules, got {type_name(raw_modules)}")
        return [], {}, False
    modules: list[dict[str, Any]] = []
    images: dict[str, LocalImage] = {}
    all_ok = True
    for index, raw in enumerate(raw_modules):
        src = ("modules", index)
        ex = expand_module(raw, src, cache)
        f.origin.update(ex.origin)
        images.update(ex.images)
        reported = [p for p, _ in ex.problems]
        for path, message in ex.problems:
            f.error(path, message)
        if not isinstance(ex.module, dict):
            all_ok = False
            continue
        module = ex.module  # rules still look at a module the models refuse, to report everything
        try:
            module = to_api(parse_module(ex.module))
        except ValidationError as exc:
            all_ok = False
            for loc, kind, message in pydantic_problems(exc):
                if kind in _EXPANSION_OWNS or (loc == ("contentModuleType",) and reported):
                    continue
                where = to_source(src + loc, ex.origin)
                if any(where[: len(p)] == p for p in reported if len(p) > 2):
                    continue
                f.error(where, message)
        if ex.problems:
            all_ok = False
        f.module_index.append(index)
        modules.append(module)
    return modules, images, all_ok


def _known_marketplaces(codes: Any) -> list[mp.Marketplace]:
    """The marketplaces a list of country codes / marketplaceIds names; unknown ones are a rule's."""
    if not isinstance(codes, list):
        return []
    return [m for m in (mp.lookup(c) for c in codes if isinstance(c, str)) if m is not None]


def _under(field_text: str, parent: str) -> bool:
    """`modules[1].standardText.body` is under `modules[1].standardText` (and under itself)."""
    if not parent:
        return False
    return field_text == parent or field_text.startswith(parent + ".") or field_text.startswith(parent + "[")


def _load_file(
    abs_path: Path, rel: str, config: RepoConfig, cache: ImageCache, shared: dict[str, Any]
) -> tuple[DesiredDocument | None, list[Diagnostic]]:
    try:
        raw = abs_path.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(rel, 1, 1, "", f"cannot read: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Diagnostic(rel, line, col, "", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} (save the file as UTF-8)")]
    try:
        located = load_located(text)
    except YamlError as exc:
        return None, [Diagnostic(rel, exc.line, exc.col, format_path(exc.path), exc.message)]
    f = _File(rel, located)
    data = located.data
    if not isinstance(data, dict):
        what = "empty" if data is None else type_name(data)
        f.error((), f"a content file must be a mapping (name, marketplaces, modules, ...), but this one is {what}")
        return None, f.diags
    parsed = _top_level(f, data)
    if "modules" not in data and "generate" not in data:
        f.error(("modules",), "is required (or a generate: stanza)")
    modules, images, modules_ok = _modules(f, data.get("modules", []), cache)
    if "modules" in data and data["modules"] == [] and "generate" not in data:
        f.error(("modules",), "must have at least one module (or add a generate: stanza)")

    codes = (parsed.marketplaces if parsed and parsed.marketplaces else None) or config.marketplaces
    if parsed and not codes:
        f.error(("marketplaces",), "is required: none in this file and none in aplusctl.yaml")
    known = _known_marketplaces(codes)
    locale = parsed.locale if parsed else None
    doc = DesiredDocument(
        name=parsed.name if parsed else (data.get("name") if isinstance(data.get("name"), str) else ""),
        path=rel,
        marketplaces=tuple(dict.fromkeys(m.marketplace_id for m in known)),
        locales={m.marketplace_id: locale or m.locale for m in known},
        asins=tuple(parsed.asins) if parsed else (),
        previous_names=tuple(parsed.previous_names) if parsed else (),
        content_reference_key=parsed.content_reference_key if parsed else None,
        submit=parsed.submit if parsed else True,
        suspended=bool(parsed and parsed.status == "suspended"),
        generate=parsed.generate.model_dump(exclude_none=True) if parsed and parsed.generate else None,
        content_type=config.content_type,
        modules=modules,
        images=images,
    )
    ctx = RuleContext(config=config, path=rel, raw=data, shared=shared, locate=f.locate, locate_file=located.locate)
    seen = {d.field for d in f.diags if d.path == rel}
    for diag in run_rules(doc, ctx):
        if diag.path != rel or not any(_under(diag.field, where) for where in seen):
            f.diags.append(diag)
    mine = [d for d in f.diags if d.path == rel and d.severity == "error"]
    valid = parsed is not None and modules_ok and not mine
    return (doc if valid else None), f.diags


def _claim_names(abs_path: Path, rel: str, config: RepoConfig, shared: dict[str, Any]) -> None:
    """Record a file's names for the duplicate-names rule, reading nothing else and checking nothing."""
    try:
        located = load_located(abs_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlError):
        return
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return
    previous = data.get("previous_names")
    known = _known_marketplaces(data.get("marketplaces") or config.marketplaces)
    doc = DesiredDocument(
        name=data["name"], path=rel, marketplaces=tuple(dict.fromkeys(m.marketplace_id for m in known)),
        locales={}, asins=(), content_reference_key=None, submit=True, suspended=False, generate=None,
        previous_names=tuple(p for p in previous if isinstance(p, str)) if isinstance(previous, list) else (),
        content_type=config.content_type, modules=[],
    )
    ctx = RuleContext(config=config, path=rel, raw=data, shared=shared,
                      locate=lambda p: (p, *located.locate(p)), locate_file=located.locate)
    run_rules(doc, ctx, only=["duplicate-names"])


def load_repo(
    root: Path, config: RepoConfig, paths: list[Path] | None = None, *, names_across_repo: bool = False
) -> LoadResult:
    """Load every content file under config.content_dir (or the given files/directories).

    With `paths` and `names_across_repo`, the names of the repo's other content files are read
    too (nothing else of them), so a name the given files share with another file is reported;
    problems are still reported only for the given files.
    """
    root = root.resolve()
    collecting = gc.isenabled()
    gc.disable()  # loading makes many small containers and no cycles; collections only cost time
    try:
        return _load_all(root, config, paths, names_across_repo)
    finally:
        if collecting:
            gc.enable()


def _load_all(root: Path, config: RepoConfig, paths: list[Path] | None, names_across_repo: bool) -> LoadResult:
    files, diags = content_files(root, config, paths)
    cache = ImageCache(root)
    shared: dict[str, Any] = {}
    if paths is not None and names_across_repo:
        loading = set(files)
        for other in content_files(root, config)[0]:
            if other not in loading:
                _claim_names(other, repo_path(other, root), config, shared)
    wanted = {repo_path(abs_path, root) for abs_path in files}
    documents: list[DesiredDocument] = []
    for abs_path in files:
        rel = repo_path(abs_path, root)
        doc, found = _load_file(abs_path, rel, config, cache, shared)
        diags.extend(d for d in found if d.path in wanted)  # not about files only read for names
        if doc is not None:
            documents.append(doc)
    # a cross-file rule may have flagged a file loaded earlier (duplicate names)
    invalid = {d.path for d in diags if d.severity == "error"}
    documents = [d for d in documents if d.path not in invalid]
    return LoadResult(documents=documents, diagnostics=sorted(set(diags)), files=len(files))
