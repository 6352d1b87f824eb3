"""GitHub annotations: escaping per the workflow-command rules and the per-step display limit."""

from __future__ import annotations

from aplusctl.content.diagnostics import Diagnostic
from aplusctl.render.annotations import escape_data, escape_property, github_annotations


def _diag(message: str = "too long", severity: str = "error", **kw: object) -> Diagnostic:
    base: dict[str, object] = dict(
        path="content/us/hero.yaml", line=12, col=7, field="modules[0].standardHeaderImageText.headline",
    )
    base.update(kw)
    return Diagnostic(message=message, severity=severity, **base)  # type: ignore[arg-type]


def test_one_error_line_with_all_properties() -> None:
    out = github_annotations([_diag("headline is 200 characters; the limit is 150")])
    assert out == (
        "::error file=content/us/hero.yaml,line=12,col=7,"
        "title=aplusctl%3A modules[0].standardHeaderImageText.headline"
        "::headline is 200 characters; the limit is 150\n"
    )


def test_message_escapes_percent_and_newlines_but_keeps_colons_and_commas() -> None:
    out = github_annotations([_diag("100% wrong,\r\nsee: docs")])
    message = out.rstrip("\n").split("::", 2)[2]
    assert message == "100%25 wrong,%0D%0Asee: docs"
    assert out.count("\n") == 1


def test_property_values_escape_colon_comma_percent_and_newlines() -> None:
    out = github_annotations([_diag(path="content/a,b:c%d.yaml", field="x\ny")])
    props = out.split("::")[1]
    assert "file=content/a%2Cb%3Ac%25d.yaml," in props
    assert props.endswith("title=aplusctl%3A x%0Ay")
    # The only separators left are the ones between properties.
    assert props.count(",") == 3


def test_escape_order_does_not_double_escape() -> None:
    assert escape_data("%0A") == "%250A"
    assert escape_property("a%3A:") == "a%253A%3A"


def test_warning_uses_warning_command_and_empty_field_gets_plain_title() -> None:
    out = github_annotations([_diag("odd", severity="warning", field="")])
    assert out.startswith("::warning file=content/us/hero.yaml,line=12,col=7,title=aplusctl::odd")


def test_limit_applies_per_severity_then_a_plain_count_line() -> None:
    diags = [_diag(f"e{i}", line=i + 1) for i in range(13)] + [
        _diag(f"w{i}", severity="warning", line=i + 1) for i in range(11)
    ]
    lines = github_annotations(diags).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    assert lines[-1].startswith("3 errors and 1 warning not shown as annotations")
    assert not lines[-1].startswith("::")
    assert "::e10" not in "\n".join(lines)


def test_limit_is_a_parameter_and_no_count_line_within_it() -> None:
    diags = [_diag(f"e{i}") for i in range(3)]
    assert "not shown" not in github_annotations(diags)
    lines = github_annotations(diags, limit=2).splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("1 error not shown")


def test_no_diagnostics_prints_nothing() -> None:
    assert github_annotations([]) == ""


def test_prefix_is_joined_to_relative_paths_only() -> None:
    out = github_annotations([_diag(), _diag(path="/abs/x.yaml", line=1)], prefix="shop")
    assert out.splitlines()[0].startswith("::error file=shop/content/us/hero.yaml,line=12,")
    assert out.splitlines()[1].startswith("::error file=/abs/x.yaml,line=1,")
