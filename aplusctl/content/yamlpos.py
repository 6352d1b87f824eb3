"""Safe YAML loading that remembers where every value came from.

PyYAML's `compose()` gives a node tree with marks but never builds Python objects from tags, so
nothing arbitrary can be constructed. We turn that tree into plain data ourselves and keep a
position map keyed by field path, so any later check can point at the exact line and column.
Duplicate keys (which PyYAML silently overwrites) are caught here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is ~10x faster; fall back to the pure-Python loader where it is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_PLAIN_TAGS: dict[str, str] = {}


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader with cheaper tag resolution: libyaml calls back into Python for every
    node, and a content file is mostly the same few dozen keys."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass  # the safe loader has no path resolvers

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:  # a plain scalar: its tag depends on its text only
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= 64:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

FieldPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")


class YamlError(Exception):
    """Malformed YAML or a construct we refuse; carries a 1-based position."""

    def __init__(self, message: str, line: int, col: int, path: FieldPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.path = path


@dataclass
class Located:
    """Plain data plus where each field path starts in the file (1-based line, col).

    Positions are worked out only when first asked for: a clean file never needs them, and
    composing the node tree costs more than loading the data.
    """

    data: Any
    _positions: dict[FieldPath, tuple[int, int]] | None = None
    problems: list[YamlError] = field(default_factory=list)
    text: str | None = None

    @property
    def positions(self) -> dict[FieldPath, tuple[int, int]]:
        if self._positions is None:
            self._positions = _compose(self.text or "").positions if self.text else {(): (1, 1)}
        return self._positions

    def locate(self, path: FieldPath) -> tuple[int, int]:
        """Position of the longest prefix of `path` that exists in the file."""
        for end in range(len(path), -1, -1):
            pos = self.positions.get(path[:end])
            if pos is not None:
                return pos
        return (1, 1)


def format_path(path: FieldPath) -> str:
    """`("modules", 2, "standardText")` → `modules[2].standardText`."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}" if out else str(part))
    return "".join(out)


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALAR_BUILDERS = {tag: yaml.constructor.SafeConstructor.yaml_constructors[tag] for tag in _SCALAR_TAGS}


def _scalar(node: yaml.ScalarNode) -> Any:
    """A plain scalar's value (str, int, float, bool, None, date), never an arbitrary object."""
    if node.tag == _STR:
        return node.value
    return _SCALAR_BUILDERS[node.tag](_CONSTRUCTOR, node)


def _unsupported(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return f"unsupported YAML tag {short} (only plain YAML data is read)"


def _pos(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self) -> None:
        self.positions: dict[FieldPath, tuple[int, int]] = {}
        self.problems: list[YamlError] = []
        self.count = 0

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            line, col = _pos(node)
            raise YamlError(f"document too large (more than {_MAX_NODES} values, alias expansion?)", line, col, path)
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                line, col = _pos(node)
                self.problems.append(YamlError(_unsupported(node.tag), line, col, path))
                return None
            try:
                return _scalar(node)
            except (ValueError, yaml.constructor.ConstructorError) as exc:
                line, col = _pos(node)
                self.problems.append(YamlError(f"bad value {node.value!r}: {exc}", line, col, path))
                return None
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                line, col = _pos(node)
                self.problems.append(YamlError(_unsupported(node.tag), line, col, path))
                return None
            items = []
            for index, child in enumerate(node.value):
                self.positions[path + (index,)] = _pos(child)
                items.append(self.build(child, path + (index,)))
            return items
        assert isinstance(node, yaml.MappingNode)
        if node.tag != _MAP:
            line, col = _pos(node)
            self.problems.append(YamlError(_unsupported(node.tag), line, col, path))
            return None
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = _pos(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(YamlError("a key must be a plain string", line, col, path))
                continue
            key = key_node.value if key_node.tag == _STR else str(_scalar(key_node))
            if key == "<<":
                self.problems.append(YamlError("YAML merge keys (<<) are not supported", line, col, path))
                continue
            if key in mapping:
                first = self.positions[path + (key,)]
                self.problems.append(
                    YamlError(f"duplicate key {key!r} (first defined on line {first[0]})", line, col, path + (key,))
                )
                continue
            self.positions[path + (key,)] = (line, col)
            mapping[key] = self.build(value_node, path + (key,))
        return mapping


class _Fallback(Exception):
    """The fast path met something only the careful path reports well."""


def _plain(root: yaml.Node) -> Any:
    """Node tree → data without positions; refuses (to the careful path) anything unusual:
    tags, non-string, merge or duplicate keys, and aliases (which could expand exponentially)."""
    seen: set[int] = set()

    def build(node: yaml.Node) -> Any:
        kind = node.__class__
        if kind is yaml.ScalarNode:
            if node.tag == _STR:
                return node.value
            if node.tag not in _SCALAR_TAGS:
                raise _Fallback
            return _SCALAR_BUILDERS[node.tag](_CONSTRUCTOR, node)
        if id(node) in seen:
            raise _Fallback
        seen.add(id(node))
        if kind is yaml.MappingNode:
            if node.tag != _MAP:
                raise _Fallback
            out = {}
            for key, value in node.value:
                if key.__class__ is not yaml.ScalarNode or key.tag != _STR or key.value in out:
                    raise _Fallback
                out[key.value] = build(value)
            return out
        if node.tag != _SEQ:
            raise _Fallback
        return [build(child) for child in node.value]

    return build(root)


def load_located(text: str) -> Located:
    """Parse one YAML document; malformed YAML raises YamlError with its line.

    Clean files take the fast path (libyaml builds the data); anything odd — a duplicate key, a
    tag, a syntax error — is re-read node by node so the problem is reported at its line.
    """
    try:
        node = _single_node(text)
        data = None if node is None else _plain(node)
    except (_Fallback, yaml.YAMLError, ValueError, RecursionError):
        return _compose(text)
    return Located(data=data, text=text)


def _single_node(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _compose(text: str) -> Located:
    try:
        node = _single_node(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or str(exc)
        if exc.context:
            what = f"{what} ({exc.context}"
            if exc.context_mark is not None and exc.context_mark is not mark:
                what += f" on line {exc.context_mark.line + 1}"
            what += ")"
        raise YamlError(f"invalid YAML: {what}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", 1, 1) from None
    if node is None:
        return Located(data=None, _positions={(): (1, 1)})
    builder = _Builder()
    builder.positions[()] = _pos(node)
    data = builder.build(node, ())
    return Located(data=data, _positions=builder.positions, problems=builder.problems)
