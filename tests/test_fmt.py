"""`aplusctl fmt`: canonical content files that keep their comments, and --check for CI."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aplusctl.content.fmt import format_text
from aplusctl.errors import UserError

MESSY = """\
# yaml-language-server: $schema=../../schemas/content-file.schema.json
# Hero page for the US store.

asins: [B0TESTAAA1, B0TESTAAA2]   # keep these two together
modules:
-   standardText:
        # the headline is reviewed by legal
        headline: 'Brew better coffee'
        body: |
          First line of the body.
            An indented line, kept as is.
          # not a comment: part of the text
    contentModuleType: STANDARD_TEXT
# the second module
- standardHeaderImageText:
     headline: "Grind fresh, every morning, and taste the difference a burr grinder makes over a blade one"
     block:
       body: >
         folded text
         stays folded
marketplaces:
- US    # United States
- 'DE'
name: 'coffee-hero'
submit: yes
locale: en-US
"""

CANONICAL = """\
# yaml-language-server: $schema=../../schemas/content-file.schema.json
# Hero page for the US store.

name: coffee-hero
submit: true
locale: en-US
marketplaces:
  - US  # United States
  - DE
asins: [B0TESTAAA1, B0TESTAAA2]   # keep these two together
modules:
  - standardText:
      # the headline is reviewed by legal
      headline: Brew better coffee
      body: |
        First line of the body.
          An indented line, kept as is.
        # not a comment: part of the text
    contentModuleType: STANDARD_TEXT
  # the second module
  - standardHeaderImageText:
      headline: Grind fresh, every morning, and taste the difference a burr grinder makes over a blade one
      block:
        body: >
          folded text
          stays folded
"""


def test_canonical_form_of_a_messy_file() -> None:
    assert format_text(MESSY) == CANONICAL


def test_idempotent() -> None:
    once = format_text(MESSY)
    assert format_text(once) == once
    assert format_text(CANONICAL) == CANONICAL


def test_meaning_is_unchanged() -> None:
    assert yaml.safe_load(format_text(MESSY)) == yaml.safe_load(MESSY)


def test_comments_are_all_kept() -> None:
    comments = [line.split("#", 1)[1] for line in MESSY.splitlines() if "#" in line and "not a comment" not in line]
    out = format_text(MESSY)
    for comment in comments:
        assert comment.strip() in out


def test_top_level_keys_reordered_with_their_leading_comments() -> None:
    text = "modules: []\n# who owns this page\nname: a\n\n# the stores\nmarketplaces: [US]\nextra: 1\n"
    assert format_text(text) == (
        "# who owns this page\nname: a\n\n# the stores\nmarketplaces: [US]\nmodules: []\nextra: 1\n"
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("'plain text'", "plain text"),
        ("'yes'", '"yes"'),        # a YAML 1.1 boolean if unquoted
        ("'off'", '"off"'),
        ("'123'", '"123"'),
        ("'1e3'", '"1e3"'),        # a float in YAML 1.2
        ("'null'", '"null"'),
        ("'a: b'", '"a: b"'),
        ("'#tag'", '"#tag"'),
        ("''", '""'),
        ("\"it's\"", "it's"),
        ("'Straße — Ümlaut'", "Straße — Ümlaut"),
        ("y", "y"),                 # a string to PyYAML: stays plain
    ],
)
def test_quoting_plain_where_safe_double_where_needed(value: str, written: str) -> None:
    text = f"name: {value}\n"
    out = format_text(text)
    assert out == f"name: {written}\n"
    assert yaml.safe_load(out) == yaml.safe_load(text)


def test_final_newline_and_trailing_space() -> None:
    assert format_text("name: a   \nasins: [X]") == "name: a\nasins: [X]\n"


def test_long_text_is_not_rewrapped() -> None:
    long = " ".join(["word"] * 200)
    assert format_text(f"name: x\nbody: {long}\n") == f"name: x\nbody: {long}\n"


def test_comment_above_document_marker_is_kept() -> None:
    text = "# yaml-language-server: $schema=x.json\n---\nmodules: []\nname: a\n"
    assert format_text(text) == "# yaml-language-server: $schema=x.json\n---\nname: a\nmodules: []\n"


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("name: a\nasins: [X\n", "f.yaml:", "flow sequence"),
        ("name: a\nname: b\n", "f.yaml:2:1", "duplicate key"),
        ("name: a\n  bad: indent\n", "f.yaml:2:", "malformed YAML"),
        ("name: a\n---\nname: b\n", "f.yaml:2:1", "single document"),
    ],
)
def test_malformed_yaml_names_file_and_line(text: str, where: str, what: str) -> None:
    with pytest.raises(UserError) as info:
        format_text(text, "f.yaml")
    assert str(info.value).startswith(where)
    assert what in str(info.value)


# --- the command -------------------------------------------------------------------------


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / "aplusctl.yaml").write_text("account_type: seller\ncontent_dir: pages\n")
    (tmp_path / "pages" / "us").mkdir(parents=True)
    (tmp_path / "pages" / "us" / "hero.yaml").write_text(MESSY)
    (tmp_path / "pages" / "de.yml").write_text(CANONICAL)
    (tmp_path / "pages" / ".hidden").mkdir()
    (tmp_path / "pages" / ".hidden" / "x.yaml").write_text("b: 1\na: [\n")
    return tmp_path


def _run(root: Path, *args: str) -> tuple[int, str, str]:
    from aplusctl.cli import main

    result = CliRunner().invoke(main, ["-C", str(root), "fmt", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_lists_files_that_would_change_and_changes_nothing(repo: Path) -> None:
    code, out, err = _run(repo, "--check")
    assert code == 1
    assert out == "would reformat pages/us/hero.yaml\n"
    assert "1 file would be reformatted, 1 file already formatted" in err
    assert (repo / "pages" / "us" / "hero.yaml").read_text() == MESSY


def test_check_with_diff_shows_the_change(repo: Path) -> None:
    code, out, _ = _run(repo, "--check", "--diff")
    assert code == 1
    assert "--- a/pages/us/hero.yaml\n+++ b/pages/us/hero.yaml\n" in out
    assert "-name: 'coffee-hero'\n" in out and "+name: coffee-hero\n" in out
    assert out.endswith("would reformat pages/us/hero.yaml\n")


def test_fmt_rewrites_then_check_passes(repo: Path) -> None:
    code, out, _ = _run(repo)
    assert (code, out) == (0, "reformatted pages/us/hero.yaml\n")
    assert (repo / "pages" / "us" / "hero.yaml").read_text() == CANONICAL
    assert _run(repo, "--check")[:2] == (0, "")
    assert _run(repo)[:2] == (0, "")  # idempotent on disk too


def test_named_paths_and_directories(repo: Path) -> None:
    code, out, _ = _run(repo, "--check", "pages/de.yml")
    assert (code, out) == (0, "")
    code, out, _ = _run(repo, "--check", "pages/us")
    assert (code, out) == (1, "would reformat pages/us/hero.yaml\n")


def test_crlf_files_are_normalised(repo: Path) -> None:
    path = repo / "pages" / "de.yml"
    path.write_bytes(CANONICAL.replace("\n", "\r\n").encode())
    assert _run(repo, "--check")[0] == 1
    _run(repo)
    assert path.read_bytes() == CANONICAL.encode()


def test_malformed_file_is_a_clear_error_and_others_still_formatted(repo: Path) -> None:
    (repo / "pages" / "broken.yaml").write_text("name: a\nasins: [X\n")
    code, out, err = _run(repo)
    assert code == 1
    assert "reformatted pages/us/hero.yaml" in out
    assert "error: pages/broken.yaml:" in err
    assert "Traceback" not in err
    assert (repo / "pages" / "broken.yaml").read_text() == "name: a\nasins: [X\n"


def test_missing_path_and_missing_content_dir(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, "nope.yaml")
    assert code == 1 and "nope.yaml: no such file or directory" in err
    code, _, err = _run(tmp_path)
    assert code == 1 and "no content directory" in err


def test_paths_relative_to_the_current_directory_work_too(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "pages")
    code, out, _ = _run(repo, "--check", "us/hero.yaml")
    assert code == 1 and out == "would reformat pages/us/hero.yaml\n"


def test_repo_config_is_never_formatted_as_content(tmp_path: Path) -> None:
    (tmp_path / "aplusctl.yaml").write_text("content_dir: .\nsandbox:   true\n")
    (tmp_path / "a.yaml").write_text("modules: []\nname: a\n")
    assert _run(tmp_path)[:2] == (0, "reformatted a.yaml\n")
    assert (tmp_path / "aplusctl.yaml").read_text() == "content_dir: .\nsandbox:   true\n"


def test_default_content_dir_is_content(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.yaml").write_text("modules: []\nname: a\n")
    assert _run(tmp_path)[:2] == (0, "reformatted content/a.yaml\n")


def test_a_comment_the_yaml_library_would_drop_is_refused_not_lost() -> None:
    # ruamel.yaml loses a comment line above a flow-style list item that has its own end-of-line comment.
    text = "name: a\nasins:\n  - {p: 1}\n  # keep me\n  - {p: 2}  # eol\n"
    with pytest.raises(UserError) as info:
        format_text(text, "f.yaml")
    assert str(info.value).startswith("f.yaml:4: cannot keep the comment '# keep me'")


EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "content").rglob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_files_format_idempotently_with_the_same_meaning_and_comments(path: Path) -> None:
    from aplusctl.content.fmt import _comments

    text = path.read_text(encoding="utf-8")
    once = format_text(text, path.name)
    assert format_text(once, path.name) == once
    assert yaml.safe_load(once) == yaml.safe_load(text)
    assert sorted(c for _, c in _comments(once)) == sorted(c for _, c in _comments(text))
