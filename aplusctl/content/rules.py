"""Lint rules: what Amazon would refuse that the wire model alone does not say.

A rule is a function `(DesiredDocument, RuleContext) -> Iterable[Diagnostic]`, registered by name
with `@rule("name")`. The loader runs every registered rule on every document as it is loaded,
while the file's positions are at hand; `ctx.diag(path, message)` turns a field path (API shape,
`("modules", 2, "standardText", "headline")`) into a Diagnostic at the YAML node the user wrote.
Rules that compare documents (duplicate names) keep their state in `ctx.shared`, which lives for
one run. A moderation linter plugs in the same way: import its module and decorate its functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aplusctl import marketplaces as mp
from aplusctl.config import RepoConfig
from aplusctl.content import limits
from aplusctl.content.diagnostics import Diagnostic
from aplusctl.content.expand import LOCAL_PREFIX, did_you_mean
from aplusctl.content.file_model import ASIN_PATTERN
from aplusctl.content.generated import module_type_problem
from aplusctl.content.models import LOCALE_PATTERN
from aplusctl.content.yamlpos import FieldPath, format_path

if TYPE_CHECKING:
    from aplusctl.content.loader import DesiredDocument

LOCALE_RE = re.compile(LOCALE_PATTERN)
ASIN_RE = re.compile(ASIN_PATTERN)


@dataclass
class RuleContext:
    """What a rule may know besides the document: the repo config, the file as written, positions."""

    config: RepoConfig
    path: str                      # repo-relative path of the file
    raw: dict[str, Any]            # the file's top-level mapping as written (before defaults)
    shared: dict[str, Any]         # state shared by all documents of one run
    locate: Callable[[FieldPath], tuple[FieldPath, int, int]]  # document path → file path, line, col
    locate_file: Callable[[FieldPath], tuple[int, int]]  # a path in the file as written → line, col

    def diag(self, path: FieldPath, message: str, severity: str = "error") -> Diagnostic:
        src, line, col = self.locate(path)
        return Diagnostic(self.path, line, col, format_path(src), message, severity)  # type: ignore[arg-type]


Rule = Callable[["DesiredDocument", RuleContext], Iterable[Diagnostic]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a rule; a later registration under the same name replaces it."""

    def register(func: Rule) -> Rule:
        RULES[name] = func
        return func

    return register


def run_rules(doc: "DesiredDocument", ctx: RuleContext, only: Iterable[str] | None = None) -> list[Diagnostic]:
    names = list(RULES) if only is None else list(only)
    return [d for name in names for d in RULES[name](doc, ctx)]


# --- document fields ---------------------------------------------------------------------------


def _duplicates(items: list[Any]) -> Iterator[int]:
    seen: set[Any] = set()
    for index, item in enumerate(items):
        if isinstance(item, str):
            if item in seen:
                yield index
            seen.add(item)


@rule("known-marketplaces")
def known_marketplaces(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    codes = ctx.raw.get("marketplaces")
    if not isinstance(codes, list):
        return
    known = [m.country for m in mp.MARKETPLACES]
    for index, code in enumerate(codes):
        if not isinstance(code, str):
            continue
        found = mp.lookup(code)
        if found is None:
            yield ctx.diag(("marketplaces", index), f"unknown marketplace {code!r}{did_you_mean(code.upper(), known)}")
        elif ctx.config.region and found.region != ctx.config.region:
            yield ctx.diag(
                ("marketplaces", index),
                f"{code} is in region {found.region}, but aplusctl.yaml sets region {ctx.config.region}",
            )
    ids = [found.marketplace_id if isinstance(c, str) and (found := mp.lookup(c)) else c for c in codes]
    for index in _duplicates(ids):
        yield ctx.diag(("marketplaces", index), f"marketplace {codes[index]!r} is listed twice")


@rule("locale")
def locale_pattern(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    locale = ctx.raw.get("locale")
    if isinstance(locale, str) and not LOCALE_RE.match(locale):
        hint = ""
        fixed = locale.replace("_", "-")
        if "-" in fixed:
            lang, _, region = fixed.partition("-")
            fixed = f"{lang.lower()}-{region.upper()}"
            if LOCALE_RE.match(fixed):
                hint = f" (did you mean {fixed!r}?)"
        yield ctx.diag(("locale",), f"{locale!r} is not a locale like en-US or de-DE{hint}")


@rule("locale-marketplaces")
def locale_marketplaces(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    """One locale goes to every marketplace of the file; say where it is not the local one.

    Only files with several marketplaces: with one, the locale was chosen for it (DE takes en-GB).
    """
    locale = ctx.raw.get("locale")
    if not isinstance(locale, str) or not LOCALE_RE.match(locale) or len(doc.marketplaces) < 2:
        return
    region = locale.partition("-")[2]
    for marketplace_id in doc.marketplaces:
        market = mp.by_id(marketplace_id)
        if market.locale.partition("-")[2] != region:
            yield ctx.diag(
                ("locale",),
                f"{locale} is sent to every marketplace of this file, but {market.country}'s usual "
                f"locale is {market.locale}",
                "warning",
            )


def _asin_problem(asin: Any) -> str | None:
    if isinstance(asin, str) and not ASIN_RE.match(asin):
        return f"{asin!r} is not an ASIN (10 capital letters or digits)"
    return None


@rule("asins")
def asin_form(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    asins = ctx.raw.get("asins")
    if not isinstance(asins, list):
        return
    for index, asin in enumerate(asins):
        problem = _asin_problem(asin)
        if problem:
            yield ctx.diag(("asins", index), problem)
    for index in _duplicates(asins):
        yield ctx.diag(("asins", index), f"ASIN {asins[index]!r} is listed twice")


@rule("generate")
def generate_stanza(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    """What `generate` would refuse at run time (or Pixii would), reported before any credits."""
    stanza = ctx.raw.get("generate")
    if not isinstance(stanza, dict):
        return
    problem = _asin_problem(stanza.get("asin"))
    if problem:
        yield ctx.diag(("generate", "asin"), problem)
    module_type = stanza.get("module_type")
    problem = module_type_problem(module_type) if isinstance(module_type, str) else None
    if problem:
        yield ctx.diag(("generate", "module_type"), problem)


@rule("duplicate-names")
def duplicate_names(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    """Names are identity within a marketplace, so two files may not claim one."""
    if not doc.name:
        return
    # (marketplaceId, name) → the first claim: its file, its context (positions are worked out
    # only on a clash) and which field claimed it
    seen: dict[tuple[str, str], tuple[RuleContext, FieldPath]] = ctx.shared.setdefault("names", {})
    reported: set[tuple[str, str, str]] = ctx.shared.setdefault("names-reported", set())
    claims = [(doc.name, ("name",))] + [(n, ("previous_names", i)) for i, n in enumerate(doc.previous_names)]
    for marketplace_id in doc.marketplaces:
        country = mp.by_id(marketplace_id).country
        for name, where in claims:
            key = (marketplace_id, name)
            first = seen.get(key)
            if first is None:
                seen[key] = (ctx, where)
                continue
            other, other_where = first
            if other.path == ctx.path:
                continue  # a file may list its own old name; nothing to compare
            _, other_line, _ = other.locate(other_where)
            _, here_line, _ = ctx.locate(where)
            yield ctx.diag(
                where, f"document name {name!r} is used twice in {country}: also in {other.path}:{other_line}"
            )
            if (other.path, name, marketplace_id) not in reported:
                reported.add((other.path, name, marketplace_id))
                yield other.diag(
                    other_where,
                    f"document name {name!r} is used twice in {country}: also in {ctx.path}:{here_line}",
                )


# --- modules -------------------------------------------------------------------------------------


@rule("module-count")
def module_count(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    modules = ctx.raw.get("modules")
    if not isinstance(modules, list):
        return
    most = limits.MAX_MODULES[ctx.config.account_type]
    if len(modules) > most:
        yield Diagnostic(
            ctx.path, *ctx.locate_file(("modules", most)), f"modules[{most}]",
            f"too many modules: {len(modules)} given, a {ctx.config.account_type} document holds at most {most}",
        )


@rule("text-limits")
def text_limits(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    for index, module in enumerate(doc.modules):
        for path, most, length in limits.text_overruns(module):
            yield ctx.diag(
                ("modules", index) + path,
                f"is {length} characters; {module['contentModuleType']} allows at most {most} here",
            )


def _crop_size(image: dict[str, Any]) -> tuple[int, int] | None:
    """The shown size; (0, 0) is expansion's placeholder for an image it could not read."""
    try:
        size = image["imageCropSpecification"]["size"]
        return int(size["width"]["value"]), int(size["height"]["value"])
    except (KeyError, TypeError, ValueError):
        return None


@rule("image-sizes")
def image_sizes(doc: "DesiredDocument", ctx: RuleContext) -> Iterator[Diagnostic]:
    for index, module in enumerate(doc.modules):
        for path, (min_w, min_h), image in limits.image_minimums(module):
            where = ("modules", index) + path
            ref = image.get("uploadDestinationId", "")
            local = doc.images.get(ref[len(LOCAL_PREFIX):]) if ref.startswith(LOCAL_PREFIX) else None
            crop = _crop_size(image)
            need = f"{module['contentModuleType']} needs at least {min_w}x{min_h} px here"
            if local is not None and (local.width < min_w or local.height < min_h):
                yield ctx.diag(where, f"image {local.path} is {local.width}x{local.height} px; {need}")
            elif crop is not None and crop != (0, 0) and (crop[0] < min_w or crop[1] < min_h):
                yield ctx.diag(where + ("imageCropSpecification",), f"crop is {crop[0]}x{crop[1]} px; {need}")
