"""GitHub-flavoured markdown view of a Plan, for a pull-request comment or $GITHUB_STEP_SUMMARY.

A summary table, then one collapsible <details> per changed document. GitHub refuses comments
over 65,536 characters, so the view stays under MAX_CHARS: details are dropped from the end first,
then table rows, and a closing line says exactly what was cut.
"""

from __future__ import annotations

from aplusctl.engine.plan import Plan, ResourceChange
from aplusctl.render.plan_text import (
    action_phrase,
    closing_line,
    diff_lines,
    legend_text,
)
from aplusctl.render.style import SYMBOLS, lead_action

MAX_CHARS = 65_000


def render_markdown(plan: Plan, max_chars: int = MAX_CHARS) -> str:
    head = ["## aplusctl plan", ""]
    if plan.target:
        head += [f"Target: {_inline(plan.target)}", ""]
    head += [f"**{closing_line(plan)}**", ""]
    changed = [c for c in plan.changes if c.notable]
    rows = [_row(c) for c in changed]
    table_head = ["| | Document | Actions | Why |", "|---|---|---|---|"] if rows else []
    details = [_details(c) for c in changed]
    tail: list[str] = []
    unchanged = len(plan.changes) - len(changed)
    if unchanged and changed:
        tail += [f"{unchanged} document(s) unchanged.", ""]
    if plan.unmanaged:
        tail += ["<details><summary>Unmanaged: live documents no file declares "
                 f"({len(plan.unmanaged)}, left alone)</summary>", ""]
        tail += [f"- {_inline(u.address)} ({_inline(u.content_reference_key)}, {u.status})"
                 for u in plan.unmanaged]
        tail += ["", "</details>", ""]
    if plan.errors:
        tail += ["### Errors", ""]
        tail += [f"- :x: {_inline(e.address)}: {_escape(e.message)}" for e in plan.errors]
        tail.append("")
    used = {a for c in changed for a in c.actions}
    if any(c.warnings for c in changed):
        used.add("warning")
    if plan.errors:
        used.add("error")
    legend = legend_text(used)
    if legend:
        tail += [f"<sub>{_escape(legend)}</sub>", ""]
    def assemble(n_rows: int, n_details: int, cut_note: str) -> str:
        parts = head + table_head + rows[:n_rows] + [""]
        parts += details[:n_details]
        if cut_note:
            parts += [cut_note, ""]
        parts += tail
        return "\n".join(parts)

    text = assemble(len(rows), len(details), "")
    if len(text) <= max_chars:
        return text
    # drop details from the end, then rows, until it fits with the note saying what went;
    # sizes are summed rather than re-joined, so this stays linear for thousands of documents
    fixed = sum(len(p) + 1 for p in head + table_head + [""] + tail) + 300  # + the note
    budget = max_chars - fixed
    n_rows = n_details = 0
    for row in rows:
        if budget < len(row) + 1:
            break
        budget -= len(row) + 1
        n_rows += 1
    if n_rows == len(rows):
        for detail in details:
            if budget < len(detail) + 1:
                break
            budget -= len(detail) + 1
            n_details += 1
    note = _cut_note(len(rows) - n_rows, len(details) - n_details)
    return assemble(n_rows, n_details, note)[:max_chars]


def _cut_note(rows_cut: int, details_cut: int) -> str:
    what = []
    if details_cut:
        what.append(f"the details of {details_cut} document(s)")
    if rows_cut:
        what.append(f"{rows_cut} summary row(s)")
    return (
        f"> :scissors: Cut to stay under GitHub's comment size limit: {' and '.join(what)}. "
        "Run `aplusctl plan` (or `--format json`) for the full plan."
    )


def _row(c: ResourceChange) -> str:
    lead = lead_action(c.actions)
    warn = f" :warning: {len(c.warnings)}" if c.warnings else ""
    return (
        f"| `{SYMBOLS[lead]}` | {_inline(c.address)} | {_escape(action_phrase(c))}{warn} | "
        f"{_escape(c.reason)} |"
    )


def _details(c: ResourceChange) -> str:
    lead = lead_action(c.actions)
    lines = [
        f"<details><summary><code>{SYMBOLS[lead]}</code> <b>{_html(c.address)}</b> — "
        f"{_html(action_phrase(c))}</summary>",
        "",
    ]
    if c.path:
        lines.append(f"File: {_inline(c.path)}" + (
            f" · key {_inline(c.content_reference_key)} · {c.live_status}"
            if c.content_reference_key else ""
        ))
        lines.append("")
    lines += [_escape(c.reason), ""]
    for w in c.warnings:
        lines.append(f"- :warning: {_escape(w.message)}")
    if c.warnings:
        lines.append("")
    body = diff_lines(c)
    if c.generation is not None and c.generation.needed:
        g = c.generation
        body.insert(0, f"+ generate {', '.join(g.types)} via Pixii ({g.credits} credits); "
                       "modules known after generation")
    if "relate" in c.actions or "create" in c.actions:
        body += [f"+ ASIN {a}" for a in c.asins_added] + [f"- ASIN {a}" for a in c.asins_removed]
    body += [f"+ upload {u.path}" for u in c.uploads]
    if body:
        lines += ["```diff"] + [_fence_safe(b) for b in body] + ["```", ""]
    if c.unchanged_fields and c.diff:
        lines += [f"<sub>{c.unchanged_fields} unchanged fields hidden</sub>", ""]
    lines += ["</details>", ""]
    return "\n".join(lines)


def _fence_safe(line: str) -> str:
    return line.replace("```", "`\u200b``")


def _inline(text: str | None) -> str:
    text = (text or "").replace("`", "'")
    return f"`{text}`"


def _escape(text: str) -> str:
    """Markdown table cells and list items: no pipes, no raw HTML, no newlines."""
    return (
        text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\n", " ")
    )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
