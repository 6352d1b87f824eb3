"""Field-level diff of two normalised ContentDocuments, in the content files' vocabulary.

Paths read like the file: ``modules[2].standardText.headline`` (a TextComponent's ``.value`` and a
one-paragraph body's ``textList[0]`` are the sugar's plain string, so they are not spelled out).
Modules are aligned as a sequence (order matters): equal modules elsewhere are "moved", same-type
modules at the same place are diffed field by field, the rest are "added" or "removed". Images are
named by the file that holds them (through `image_names`), not by uploadDestinationId.

Pure and fast: a hand-written walk, because the planner diffs hundreds of documents per plan.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

from aplusctl.engine.normalize import module_hash

LONG_TEXT = 80        # characters; longer text changes also carry a word diff
ImageNamer = Callable[[str], str]   # uploadDestinationId or "local:<path>" → what to call it


@dataclass(frozen=True)
class WordOp:
    """One run of a word diff: kept, removed or inserted text."""

    op: Literal["=", "-", "+"]
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One difference, in the files' vocabulary.

    kind: "module-added" | "module-removed" | "module-moved" | "changed" | "added" | "removed"
          | "image" | "name" | "locale"
    path: where in the file, e.g. "modules[2].standardText.headline" (module index as in the file)
    before/after: plain values (text, numbers, small dicts); None when absent
    words: a word diff, for long text
    note: a human hint, e.g. "assets/hero.png, new file"
    """

    kind: str
    path: str
    before: Any = None
    after: Any = None
    words: tuple[WordOp, ...] | None = None
    note: str = ""


@dataclass(frozen=True)
class DocumentDiff:
    changes: tuple[FieldChange, ...]
    unchanged: int     # leaf fields equal on both sides


def diff_documents(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    image_names: ImageNamer = lambda udi: udi,
    new_images: frozenset[str] = frozenset(),
) -> DocumentDiff:
    """Differences from `before` (live) to `after` (desired); either may be None (absent).

    `new_images` are the "local:<path>" ids apply still has to upload ("…, new file").
    """
    walker = _Walker(image_names, new_images)
    before = before or {}
    after = after or {}
    for key in ("name", "contentType", "contentSubType", "locale"):
        if not before:
            break  # a new document: its modules say everything worth reading
        walker.leaf(key, before.get(key), after.get(key), kind="name" if key == "name" else None)
    walker.modules(before.get("contentModuleList", []), after.get("contentModuleList", []))
    return DocumentDiff(tuple(walker.changes), walker.unchanged)


def word_diff(before: str, after: str) -> tuple[WordOp, ...]:
    """Runs of kept / removed / inserted words (whitespace kept with the word before it)."""
    a = re.findall(r"\S+\s*", before)
    b = re.findall(r"\S+\s*", after)
    ops: list[WordOp] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(WordOp("=", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            ops.append(WordOp("-", "".join(a[i1:i2])))
        if j2 > j1:
            ops.append(WordOp("+", "".join(b[j1:j2])))
    return tuple(ops)


def _module_label(module: dict[str, Any]) -> str:
    return str(module.get("contentModuleType", "module"))


def _body_key(module: dict[str, Any]) -> str | None:
    keys = [k for k in module if k != "contentModuleType"]
    return keys[0] if len(keys) == 1 else None


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict):
        if _is_text(value) or _is_image(value):
            return 1 + (len(value) - 1 if _is_image(value) else 0)
        return sum(_leaf_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaf_count(v) for v in value)
    return 1


def _is_text(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("value"), str) and set(value) <= {
        "value",
        "decoratorSet",
    }


def _is_image(value: Any) -> bool:
    return isinstance(value, dict) and "uploadDestinationId" in value


def _is_paragraph(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"textList"} and isinstance(
        value["textList"], list
    )


def _text_of(value: Any) -> Any:
    """A TextComponent or one-text paragraph as the plain string the file's sugar writes."""
    if _is_text(value):
        return value["value"]
    if _is_paragraph(value) and len(value["textList"]) == 1 and _is_text(value["textList"][0]):
        return value["textList"][0]["value"]
    return value


class _Walker:
    def __init__(self, image_names: ImageNamer, new_images: frozenset[str]) -> None:
        self.image_names = image_names
        self.new_images = new_images
        self.changes: list[FieldChange] = []
        self.unchanged = 0

    # --- modules -------------------------------------------------------------------------------

    def modules(self, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
        hb = [module_hash(m) for m in before]
        ha = [module_hash(m) for m in after]
        matcher = difflib.SequenceMatcher(None, hb, ha, autojunk=False)
        removed: dict[int, dict[str, Any]] = {}
        added: dict[int, dict[str, Any]] = {}
        paired: list[tuple[int, int]] = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for i in range(i1, i2):
                    self.unchanged += _leaf_count(before[i])
                continue
            olds = list(range(i1, i2))
            news = list(range(j1, j2))
            if tag == "replace":
                # same-type modules at the same place: an edit, diffed field by field
                for i, j in zip(olds, news):
                    if _module_label(before[i]) == _module_label(after[j]) and hb[i] not in ha:
                        paired.append((i, j))
                paired_olds = {i for i, _ in paired}
                paired_news = {j for _, j in paired}
                olds = [i for i in olds if i not in paired_olds]
                news = [j for j in news if j not in paired_news]
            removed.update((i, before[i]) for i in olds)
            added.update((j, after[j]) for j in news)
        # an equal module that left one place and arrived at another has moved
        moves: list[tuple[int, int]] = []
        for j in sorted(added):
            for i in sorted(removed):
                if hb[i] == ha[j]:
                    moves.append((i, j))
                    del removed[i]
                    break
        for _, j in moves:
            del added[j]
        events: list[tuple[int, int, FieldChange | None, tuple[int, int] | None]] = []
        for i, j in moves:
            change = FieldChange(
                "module-moved", f"modules[{j}]", before=f"modules[{i}]", after=f"modules[{j}]",
                note=f"{_module_label(after[j])} moved from position {i + 1} to {j + 1}",
            )
            self.unchanged += _leaf_count(after[j])
            events.append((j, 1, change, None))
        for i, j in paired:
            events.append((j, 2, None, (i, j)))
        for j, module in added.items():
            events.append((j, 0, FieldChange(
                "module-added", f"modules[{j}]", after=self._display(module),
                note=f"{_module_label(module)} added at position {j + 1}",
            ), None))
        for i, module in removed.items():
            events.append((i, -1, FieldChange(
                "module-removed", f"modules[{i}]", before=self._display(module),
                note=f"{_module_label(module)} removed from position {i + 1}",
            ), None))
        for _, _, change, pair in sorted(events, key=lambda e: (e[0], e[1])):
            if change is not None:
                self.changes.append(change)
            elif pair is not None:
                i, j = pair
                key = _body_key(after[j]) or "module"
                self.value(f"modules[{j}].{key}", before[i].get(key), after[j].get(key))

    # --- values --------------------------------------------------------------------------------

    def leaf(self, path: str, before: Any, after: Any, kind: str | None = None) -> None:
        if before == after:
            if before is not None:
                self.unchanged += 1
            return
        if before is None:
            self.changes.append(FieldChange(kind or "added", path, after=after))
        elif after is None:
            self.changes.append(FieldChange(kind or "removed", path, before=before))
        else:
            words = None
            if (
                isinstance(before, str)
                and isinstance(after, str)
                and max(len(before), len(after)) > LONG_TEXT
            ):
                words = word_diff(before, after)
            self.changes.append(FieldChange(kind or "changed", path, before, after, words))

    def value(self, path: str, before: Any, after: Any) -> None:
        if before == after:
            self.unchanged += _leaf_count(before) if before is not None else 0
            return
        if before is None or after is None:
            shown_b = self._display(before)
            shown_a = self._display(after)
            if _is_image(before) or _is_image(after):
                self.image(path, before, after)
                return
            self.leaf(path, shown_b, shown_a)
            return
        if _is_image(before) or _is_image(after):
            self.image(path, before, after)
            return
        tb, ta = _text_of(before), _text_of(after)
        if isinstance(tb, str) and isinstance(ta, str):
            if tb != ta:
                self.leaf(path, tb, ta)
            else:
                self.unchanged += 1
            db = before.get("decoratorSet") if _is_text(before) else None
            da = after.get("decoratorSet") if _is_text(after) else None
            if _is_text(before) and _is_text(after) and db != da:
                self.leaf(f"{path}.decoratorSet", db, da)
            elif _is_paragraph(before) and before != after and tb == ta:
                self.leaf(f"{path}.decoratorSet", before, after)
            return
        if isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(set(before) | set(after)):
                self.value(f"{path}.{key}", before.get(key), after.get(key))
            return
        if isinstance(before, list) and isinstance(after, list):
            self.items(path, before, after)
            return
        self.leaf(path, self._display(before), self._display(after))

    def items(self, path: str, before: list[Any], after: list[Any]) -> None:
        positional = all(
            isinstance(v, dict) and isinstance(v.get("position"), int) for v in before + after
        )
        if positional:
            b = {v["position"]: v for v in before}
            a = {v["position"]: v for v in after}
            for pos in sorted(set(b) | set(a)):
                self.value(f"{path}[position {pos}]", b.get(pos), a.get(pos))
            return
        for n in range(max(len(before), len(after))):
            self.value(
                f"{path}[{n}]",
                before[n] if n < len(before) else None,
                after[n] if n < len(after) else None,
            )

    def image(self, path: str, before: Any, after: Any) -> None:
        ub = before.get("uploadDestinationId") if isinstance(before, dict) else None
        ua = after.get("uploadDestinationId") if isinstance(after, dict) else None
        if ub != ua:
            name_b = self.image_names(ub) if ub else None
            name_a = self.image_names(ua) if ua else None
            if ua is None:
                note = f"{name_b} removed"
            elif ua in self.new_images:
                note = f"{name_a}, new file" + (f" (was {name_b})" if name_b else "")
            elif name_a == name_b:
                note = f"{name_a}, uploaded again"
            else:
                note = f"{name_a}" + (f" (was {name_b})" if name_b else "")
            self.changes.append(FieldChange("image", path, name_b, name_a, note=note))
        elif ub is not None:
            self.unchanged += 1
        for key in ("altText", "imageCropSpecification"):
            vb = before.get(key) if isinstance(before, dict) else None
            va = after.get(key) if isinstance(after, dict) else None
            if before is None or after is None:
                continue
            if vb == va:
                self.unchanged += _leaf_count(vb) if vb is not None else 0
            elif key == "altText":
                self.leaf(f"{path}.altText", vb, va)
            else:
                self.leaf(f"{path}.crop", _crop_text(vb), _crop_text(va))

    def _display(self, value: Any) -> Any:
        """A compact, file-like rendering of a subtree for added/removed entries."""
        if value is None:
            return None
        if _is_image(value):
            return {
                "src": self.image_names(value["uploadDestinationId"]),
                **({"alt": value["altText"]} if "altText" in value else {}),
            }
        text = _text_of(value)
        if isinstance(text, str):
            return text
        if isinstance(value, dict):
            return {k: self._display(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._display(v) for v in value]
        return value


def _crop_text(crop: Any) -> str | None:
    if not isinstance(crop, dict):
        return None
    size = crop.get("size", {})
    w = size.get("width", {}).get("value")
    h = size.get("height", {}).get("value")
    text = f"{w}x{h}"
    off = crop.get("offset")
    if isinstance(off, dict):
        text += f"+{off.get('x', {}).get('value', 0)}+{off.get('y', {}).get('value', 0)}"
    return text
