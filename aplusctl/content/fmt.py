"""Canonical formatting of content files, so diffs in review show content changes, not style.

ruamel.yaml does the round trip (comments, block scalars and flow sequences survive); a small text
pass then does what ruamel cannot: full-line comments take the indentation of the line they
describe, and top-level keys move into canonical order carrying their leading comments with them.

Types are resolved the way our loader (PyYAML, YAML 1.1) resolves them, and strings are quoted
wherever YAML 1.1 *or* 1.2 would read them as something else, so formatting never changes what a
file means to aplusctl or to an editor. A final check loads both texts and refuses to write a
file whose meaning would change.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers

from aplusctl.errors import UserError

CANONICAL_ORDER: tuple[str, ...] = (
    "name",
    "previous_names",
    "content_reference_key",
    "status",
    "submit",
    "locale",
    "marketplaces",
    "asins",
    "generate",
    "modules",
)

# libyaml when present (~10x faster); its tokens and marks are the same as the pure-Python loader's.
_FAST: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_Resolvers = dict[Any, list[tuple[Any, re.Pattern[str]]]]

# PyYAML's own implicit types (what `validate` and `plan` will see), minus its non-data tags.
_PYYAML: _Resolvers = {
    first: [(tag, rx) for tag, rx in pairs if tag.rsplit(":", 1)[-1] not in ("value", "yaml")]
    for first, pairs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _union_with_yaml12() -> _Resolvers:
    union: _Resolvers = {first: list(pairs) for first, pairs in _PYYAML.items()}
    for versions, tag, regexp, firsts in implicit_resolvers:
        if (1, 2) in versions:
            for first in firsts or [None]:
                union.setdefault(first, []).append((tag, regexp))
    return union


_UNION = _union_with_yaml12()


class _LoadResolver(VersionedResolver):
    """Reads plain scalars exactly as PyYAML does (`yes` is a boolean, `y` a string)."""

    @property
    def processing_version(self) -> Any:
        return (1, 1)

    @property
    def versioned_resolver(self) -> Any:
        return _PYYAML


class _DumpResolver(VersionedResolver):
    """Writes a string plain only when neither YAML 1.1 nor 1.2 would read it as another type."""

    @property
    def versioned_resolver(self) -> Any:
        return _UNION


class _Emitter(Emitter):
    """Double quotes wherever quotes are needed: one quoting style across all files."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


_EXPLICIT_START = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)


def _loader() -> YAML:
    y = YAML(typ="rt")
    y.Resolver = _LoadResolver
    y.allow_duplicate_keys = False
    return y


def _dumper(explicit_start: bool) -> YAML:
    y = YAML(typ="rt")
    y.explicit_start = explicit_start
    y.Resolver = _DumpResolver
    y.Emitter = _Emitter
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 1_000_000  # never re-wrap long text
    y.allow_unicode = True
    return y


def _scalar_continuation_lines(text: str) -> set[int]:
    """0-based lines that lie inside a multi-line scalar; the text pass must not touch them."""
    inside: set[int] = set()
    for token in yaml.scan(text, Loader=_FAST):
        if isinstance(token, yaml.ScalarToken):
            start, end = token.start_mark.line, token.end_mark.line
            last = end if token.end_mark.column > 0 else end - 1
            inside.update(range(start + 1, last + 1))
    return inside


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent_comments(lines: list[str], frozen: set[int]) -> list[str]:
    """Give each full-line comment the indentation of the next content line (the one it describes)."""
    out = list(lines)
    next_indent = 0
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if i in frozen or not line.strip():
            continue
        if _is_comment(line):
            out[i] = " " * next_indent + line.lstrip()
        else:
            next_indent = len(line) - len(line.lstrip(" "))
    return out


def _is_top_key(line: str) -> bool:
    return bool(line) and line[0] not in " #-\t" and not line.startswith(("---", "..."))


def _reorder_top_level(lines: list[str], frozen: set[int], keys: list[Any]) -> list[str]:
    """Move top-level key blocks into canonical order; a block's leading comments move with it."""
    starts = [i for i, line in enumerate(lines) if i not in frozen and _is_top_key(line)]
    if len(starts) != len(keys) or len(keys) < 2:
        return lines  # a layout we do not recognise: leave the order alone rather than guess
    # Comments and blank lines right above a key belong to that key; the file's header (up to the
    # last blank line before the first key) stays at the top.
    lead_starts: list[int] = []
    for start in starts:
        j = start
        while j > 0 and (j - 1) not in frozen and (not lines[j - 1].strip() or _is_comment(lines[j - 1])):
            j -= 1
        lead_starts.append(j)
    first = starts[0]
    blanks = [i for i in range(lead_starts[0], first) if not lines[i].strip()]
    lead_starts[0] = blanks[-1] + 1 if blanks else first
    header = lines[: lead_starts[0]]
    # Trailing comments after the last key's body stay at the end of the file.
    end = len(lines)
    while end > starts[-1] + 1 and (end - 1) not in frozen and (
        not lines[end - 1].strip() or _is_comment(lines[end - 1])
    ):
        end -= 1
    trailer = lines[end:]
    bounds = lead_starts[1:] + [end]
    blocks = [lines[lead_starts[k] : bounds[k]] for k in range(len(keys))]

    def rank(k: int) -> tuple[int, int]:
        key = keys[k]
        if isinstance(key, str) and key in CANONICAL_ORDER:
            return (CANONICAL_ORDER.index(key), k)
        return (len(CANONICAL_ORDER), k)

    ordered = sorted(range(len(keys)), key=rank)
    if ordered == list(range(len(keys))):
        return lines
    body = [line for k in ordered for line in blocks[k]]
    return header + body + trailer


def _comments(text: str) -> list[tuple[int, str]]:
    """(1-based line, text) of every comment: a `#` outside all tokens, at a line start or after a blank."""
    covered = bytearray(len(text) + 1)
    for token in yaml.scan(text, Loader=_FAST):
        covered[token.start_mark.index : token.end_mark.index] = b"\x01" * (token.end_mark.index - token.start_mark.index)
    found: list[tuple[int, str]] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        for i, char in enumerate(line):
            if char == "#" and not covered[offset + i] and (i == 0 or line[i - 1] in " \t"):
                found.append((number, line[i:].strip()))
                break
        offset += len(line) + 1
    return found


def _lost_comment(before: str, after: str) -> tuple[int, str] | None:
    """The first comment of `before` that `after` no longer has (ruamel drops a few, rarely)."""
    remaining = Counter(text for _, text in _comments(after))
    for line, text in _comments(before):
        if remaining[text]:
            remaining[text] -= 1
        else:
            return line, text
    return None


def _same_meaning(before: str, after: str) -> bool:
    try:
        return bool(yaml.load(before, Loader=_FAST) == yaml.load(after, Loader=_FAST))
    except yaml.YAMLError:
        return False


def _split_prologue(text: str) -> tuple[list[str], str]:
    """Comment lines above a `---` marker, which ruamel would drop, and the document from `---` on."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _EXPLICIT_START.match(line):
            return [raw.rstrip() for raw in lines[:i]], "\n".join(lines[i:])
        if line.strip() and not line.lstrip().startswith(("#", "%")):
            break
    return [], text


def _where(source: str, exc: YAMLError, offset: int) -> UserError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    problem = ", ".join(p for p in parts if p) or str(exc).splitlines()[0]
    if mark is None:
        return UserError(f"{source}: malformed YAML: {problem}")
    return UserError(f"{source}:{mark.line + 1 + offset}:{mark.column + 1}: malformed YAML: {problem}")


def format_text(text: str, source: str = "<string>") -> str:
    """The canonical form of one content file's text; idempotent.

    Raises UserError (with `source:line:col`) on malformed YAML.
    """
    prologue, document = _split_prologue(text)
    try:
        data = _loader().load(document)
    except YAMLError as exc:
        raise _where(source, exc, len(prologue)) from None
    if data is None:
        return text  # empty or comments only: nothing to normalise
    stream = io.StringIO()
    _dumper(explicit_start=bool(prologue) or _EXPLICIT_START.match(document) is not None).dump(data, stream)
    dumped = stream.getvalue()
    lines = dumped.split("\n")
    frozen = _scalar_continuation_lines(dumped)
    lines = [line if i in frozen else line.rstrip() for i, line in enumerate(lines)]
    lines = _indent_comments(lines, frozen)
    if isinstance(data, dict):
        lines = _reorder_top_level(lines, frozen, list(data.keys()))
    result = "\n".join(prologue + lines).rstrip("\n") + "\n"
    if not _same_meaning(text, result):
        raise UserError(f"{source}: formatting would change what this file means; left unchanged (please report it)")
    lost = _lost_comment(text, result)
    if lost is not None:
        raise UserError(
            f"{source}:{lost[0]}: cannot keep the comment {lost[1]!r} where it is (the YAML library drops it); "
            "move it to its own line elsewhere, or remove it. The file is left unchanged"
        )
    return result
