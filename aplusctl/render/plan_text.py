"""Terminal view of a Plan: one block per changed document, a legend, a closing line.

Only formats what the planner decided; colour only when asked (App.color).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aplusctl.engine.diff import FieldChange
from aplusctl.engine.plan import Plan, ResourceChange
from aplusctl.render.style import LEGEND_ORDER, MEANINGS, SYMBOLS, lead_action, paint

NO_CHANGES = "No changes. Live A+ content matches the files."
MAX_VALUE = 300   # characters of a value shown inline before it is shortened


def render_text(plan: Plan, color: bool = False) -> str:
    lines: list[str] = []
    if plan.target:
        lines += [f"Target: {plan.target}", ""]
    used: set[str] = set()
    changed = [c for c in plan.changes if c.notable]
    for change in changed:
        lead = lead_action(change.actions)
        used.update(change.actions)
        if change.warnings:
            used.add("warning")
        lines += _change_block(change, lead, color)
        lines.append("")
    unchanged = len(plan.changes) - len(changed)
    if unchanged and changed:
        noun = "document" if unchanged == 1 else "documents"
        lines += [paint(f"{unchanged} {noun} unchanged.", "dim", color), ""]
    if plan.unmanaged:
        lines.append("Unmanaged: live documents no file declares (left alone):")
        for u in plan.unmanaged:
            lines.append(f"    {u.address}  ({u.content_reference_key}, {u.status})")
        lines.append("")
    if plan.errors:
        used.add("error")
        lines.append(paint("Errors:", "error", color))
        for e in plan.errors:
            lines.append(f"  {paint(SYMBOLS['error'], 'error', color)} {e.address}: {e.message}")
        lines.append("")
    legend = legend_text(used)
    if legend:
        lines += [legend, ""]
    lines.append(closing_line(plan))
    return "\n".join(lines) + "\n"


def legend_text(used: set[str]) -> str:
    parts = [f"{SYMBOLS[a]} {MEANINGS[a]}" for a in LEGEND_ORDER if a in used]
    return "Legend: " + "   ".join(parts) if parts else ""


def closing_line(plan: Plan) -> str:
    s = plan.summary
    if not plan.has_changes:
        if plan.errors:
            return f"No changes planned; {_n(s.errors, 'error')} (see above)."
        return NO_CHANGES
    text = f"Plan: {s.create} to create, {s.update} to update, {s.suspend} to suspend"
    if s.relate or s.submit:
        text += f"; {s.relate} to relate ASINs, {s.submit} to submit for approval"
    text += f"; {_n(s.uploads, 'image')} to upload"
    if s.credits:
        text += f"; {s.credits} Pixii credits"
    if s.errors:
        text += f"; {_n(s.errors, 'error')}"
    return text + "."


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def action_phrase(change: ResourceChange) -> str:
    """"create, relate 2 ASINs, submit for approval" — the actions in words."""
    words: list[str] = []
    for action in change.actions:
        if action == "relate":
            words.append(f"relate ASINs (+{len(change.asins_added)} -{len(change.asins_removed)})")
        else:
            words.append(MEANINGS[action])
    return ", ".join(words)


def _change_block(change: ResourceChange, lead: str, color: bool) -> list[str]:
    sym = paint(SYMBOLS[lead], lead, color)
    where = f"  [{change.path}]" if change.path else ""
    status = ""
    if change.content_reference_key:
        status = f"  ({change.content_reference_key}, {change.live_status})"
    lines = [f"{sym} {paint(change.address, 'bold', color)}{where}{status}"]
    lines.append(f"    {action_phrase(change)}: {change.reason}")
    if change.generation is not None and change.generation.needed:
        g = change.generation
        lines.append(
            f"    {paint('+', 'create', color)} generate {', '.join(g.types)} via Pixii "
            f"({g.credits} credits); modules known after generation"
        )
    for line in diff_lines(change, color):
        lines.append("    " + line)
    if change.unchanged_fields and change.diff:
        lines.append("    " + paint(f"({change.unchanged_fields} unchanged fields hidden)", "dim", color))
    if "relate" in change.actions or "create" in change.actions:
        for asin in change.asins_added:
            lines.append(f"    {paint('+', 'added', color)} ASIN {asin}")
        for asin in change.asins_removed:
            lines.append(f"    {paint('-', 'removed', color)} ASIN {asin}")
    for up in change.uploads:
        lines.append(f"    {paint('+', 'added', color)} upload {up.path}")
    for w in change.warnings:
        lines.append(f"    {paint(SYMBOLS['warning'], 'warning', color)} {w.message}")
    return lines


def diff_lines(change: ResourceChange, color: bool = False) -> list[str]:
    """The field-level diff, one line (or a few) per FieldChange, git-like markers."""
    out: list[str] = []
    for f in change.diff:
        out += _field_lines(f, color)
    return out


def _field_lines(f: FieldChange, color: bool) -> list[str]:
    plus, minus, tilde = (paint(s, r, color) for s, r in (("+", "added"), ("-", "removed"), ("~", "update")))
    if f.kind == "module-added":
        return [f"{plus} {f.path}: {f.note}"] + [
            f"{plus}     {line}" for line in _flatten(f.after)
        ]
    if f.kind == "module-removed":
        return [f"{minus} {f.path}: {f.note}"] + [
            f"{minus}     {line}" for line in _flatten(f.before)
        ]
    if f.kind == "module-moved":
        return [f"{tilde} {f.path}: {f.note}"]
    if f.kind == "image":
        return [f"{tilde} {f.path}: image {f.note}"]
    if f.kind == "added" or (f.before is None and f.after is not None):
        return [f"{plus} {f.path}: {_value(f.after)}"]
    if f.kind == "removed" or (f.after is None and f.before is not None):
        return [f"{minus} {f.path}: {_value(f.before)}"]
    if f.words is not None:
        return [f"{tilde} {f.path}:", "      " + word_diff_text(f, color)]
    return [f"{tilde} {f.path}: {_value(f.before)} → {_value(f.after)}"]


def word_diff_text(f: FieldChange, color: bool) -> str:
    parts: list[str] = []
    ops = list(f.words or ())
    for n, op in enumerate(ops):
        if op.op == "=":
            parts.append(_shorten_middle(op.text))
        elif op.op == "-":
            replaced = n + 1 < len(ops) and ops[n + 1].op == "+"
            trail = "" if replaced else _trail(op.text)
            parts.append(paint(f"[-{op.text.rstrip()}-]", "removed", color) + trail)
        else:
            parts.append(paint(f"{{+{op.text.rstrip()}+}}", "added", color) + _trail(op.text))
    return "".join(parts)


def _trail(text: str) -> str:
    return text[len(text.rstrip()):]


def _shorten_middle(text: str, keep: int = 60) -> str:
    """Long runs of unchanged words are context, not content: keep their ends."""
    if len(text) <= 2 * keep + 5:
        return text
    return text[:keep].rstrip() + " … " + text[-keep:].lstrip()


def _value(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= MAX_VALUE else value[:MAX_VALUE] + "…"
        return json.dumps(shown, ensure_ascii=False)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def _flatten(value: Any, prefix: str = "") -> Iterator[str]:
    """A module's content as "field: value" lines, the way the file spells it."""
    if isinstance(value, dict):
        if set(value) <= {"src", "alt"} and "src" in value:
            alt = f' (alt {_value(value["alt"])})' if "alt" in value else ""
            yield f"{prefix or 'image'}: image {value['src']}{alt}"
            return
        for key, v in value.items():
            if key == "contentModuleType":
                continue
            yield from _flatten(v, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for n, v in enumerate(value):
            if isinstance(v, dict) and "position" in v:
                rest = {k: x for k, x in v.items() if k != "position"}
                label = f"{prefix}[{v['position']}]"
                if len(rest) == 1 and next(iter(rest)) in ("text", "value"):
                    yield from _flatten(next(iter(rest.values())), label)
                else:
                    yield from _flatten(rest, label)
            else:
                yield from _flatten(v, f"{prefix}[{n}]")
    elif value is not None:
        yield f"{prefix}: {_value(value)}"
