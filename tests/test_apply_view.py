"""Apply views: live TTY region vs plain lines, and the closing summary in the plan's vocabulary."""

from __future__ import annotations

import io
import json

from aplusctl.engine.apply import ApplyEvent, ApplyResult, DocOutcome, Message
from aplusctl.render.apply_view import ApplyProgress, render_json, render_summary_text, summary_line

A = "US/Chef Knife"


def _events() -> list[ApplyEvent]:
    return [
        ApplyEvent(A, "document", "start", "create relate submit"),
        ApplyEvent(A, "upload", "start", "assets/a.png"),
        ApplyEvent(A, "upload", "start", "assets/b.png"),
        ApplyEvent(A, "upload", "done", "assets/a.png"),
        ApplyEvent(A, "upload", "done", "assets/b.png"),
        ApplyEvent(A, "submit", "warning", "", (Message("ASIN_FAILED_VALIDATION", "not eligible", "B0X"),)),
        ApplyEvent(A, "document", "done", "upload, create, relate, submit"),
    ]


def test_tty_redraws_in_place_and_keeps_a_clean_record() -> None:
    out = io.StringIO()
    view = ApplyProgress(out, tty=True)
    for ev in _events():
        view(ev)
    view.close()
    text = out.getvalue()
    assert "uploading images (2/2 done)" in text
    assert "\x1b[" in text  # cursor movement: the live region is redrawn
    assert "✓ US/Chef Knife: uploaded, created, related, submitted for approval" in text
    assert "ASIN_FAILED_VALIDATION: not eligible (B0X)" in text


def test_plain_lines_without_a_tty() -> None:
    out = io.StringIO()
    view = ApplyProgress(out, tty=False)
    for ev in _events():
        view(ev)
    lines = out.getvalue().splitlines()
    assert "\x1b[" not in out.getvalue()
    assert lines[0] == "US/Chef Knife: applying (create relate submit)"
    assert "US/Chef Knife: uploaded assets/a.png" in lines
    assert lines[-1] == "US/Chef Knife: done"


def _outcome(name: str, state: str, steps: list[str], **kw: object) -> DocOutcome:
    o = DocOutcome(f"US/{name}", "ATVPDKIKX0DER", name, ("create",), state=state, steps_done=steps)  # type: ignore[arg-type]
    for k, v in kw.items():
        setattr(o, k, v)
    return o


def test_summary_lines() -> None:
    ok = ApplyResult([_outcome("A", "ok", ["upload", "validate", "create", "relate", "submit"]),
                      _outcome("B", "ok", ["create", "relate", "submit"]),
                      _outcome("C", "ok", ["update", "submit"])], images_uploaded=4)
    assert summary_line(ok) == "Apply complete: 2 created, 1 updated, 4 images uploaded, 3 submitted for approval."
    failed = ApplyResult([_outcome("A", "ok", ["create"]),
                          _outcome("B", "failed", ["upload"], failed_step="validate", error="validation failed",
                                   errors=[Message("CONTENT_FAILED_VALIDATION", "bad words", "x")])])
    text = render_summary_text(failed)
    assert "Apply failed: 1 document of 2 failed; 1 created." in text
    assert "US/B: validate: validation failed" in text and "CONTENT_FAILED_VALIDATION" in text
    stopped = ApplyResult([_outcome("A", "ok", ["create"]), _outcome("B", "not-started", [])], interrupted=True)
    assert summary_line(stopped).startswith("Apply interrupted: 1 created; 1 document not finished.")
    data = json.loads(render_json(failed))
    assert data["ok"] is False and data["summary"]["failed"] == 1
    assert data["documents"][1]["errors"][0]["code"] == "CONTENT_FAILED_VALIDATION"
