"""`aplusctl validate`: the broken-file corpus (exact diagnostic and line each) and the CLI output."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from aplusctl.cli import main
from aplusctl.config import load_config
from aplusctl.content.loader import load_repo

TESTS = Path(__file__).parent
BROKEN = TESTS / "broken"
EXAMPLES = TESTS.parent / "examples" / "content"
CASES = sorted(p for p in (BROKEN / "content").iterdir() if p.suffix == ".yaml" or p.is_dir())


def expected(case: Path) -> list[str]:
    """The `# expect: line:col: error: field: message` header lines of a case's files."""
    files = sorted(case.rglob("*.yaml")) if case.is_dir() else [case]
    out: list[str] = []
    for path in files:
        rel = path.relative_to(BROKEN).as_posix()
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("# expect: "):
                out.append(f"{rel}:{line[len('# expect: '):]}")
    return sorted(out)


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 25
    assert all(expected(case) for case in CASES), "every broken case states what it expects"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_broken_case(case: Path) -> None:
    result = load_repo(BROKEN, load_config(BROKEN), [case])
    assert sorted(str(d) for d in result.diagnostics) == expected(case)
    assert result.documents == []


def test_whole_corpus_reports_everything_in_one_run() -> None:
    result = load_repo(BROKEN, load_config(BROKEN))
    want = sorted(line for case in CASES for line in expected(case))
    assert sorted(str(d) for d in result.diagnostics) == want


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env or {"GITHUB_ACTIONS": "false"})
    return result.exit_code, result.stdout, result.stderr


def write_repo(root: Path, config: str, files: dict[str, str]) -> Path:
    """A content repo: aplusctl.yaml and content/<name> files; returns `root`."""
    (root / "content").mkdir(parents=True)
    (root / "aplusctl.yaml").write_text(config, encoding="utf-8")
    for name, text in files.items():
        (root / "content" / name).write_text(text, encoding="utf-8")
    return root


def test_examples_validate_clean() -> None:
    code, out, _ = run("-C", str(EXAMPLES), "validate")
    assert (code, out) == (0, "All 5 documents are valid.\n")


def test_text_format_lines_and_count(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    path = repo / "content" / "chef-knife.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("asins: [B0FERRUM01]", "asins: [B0FERRUM1]").replace("      headline: Specifications", "      headlin: Specifications")
    path.write_text(text, encoding="utf-8")
    code, out, _ = run("-C", str(repo), "validate")
    assert code == 1
    assert out == (
        "content/chef-knife.yaml:4:9: error: asins[0]: 'B0FERRUM1' is not an ASIN (10 capital letters or digits)\n"
        "content/chef-knife.yaml:63:7: error: modules[3].standardTechSpecs.headlin: unknown key 'headlin' (did you mean 'headline'?)\n"
        "2 errors in 1 file\n"
    )


def test_paths_limit_what_is_checked() -> None:
    code, out, _ = run("-C", str(BROKEN), "validate", "content/07-unknown-top-key.yaml")
    assert code == 1
    assert out.splitlines() == [
        "content/07-unknown-top-key.yaml:3:1: error: asin: unknown key 'asin' (did you mean 'asins'?)",
        "1 error in 1 file",
    ]
    code, out, _ = run("-C", str(EXAMPLES), "validate", "content/knife-care.yaml")
    assert (code, out) == (0, "The document is valid.\n")


def test_paths_are_checked_for_names_against_the_whole_repo(tmp_path: Path) -> None:
    """Only the given file's problems are reported, but its name is compared with every file."""
    code, out, _ = run("-C", str(BROKEN), "validate", "content/21-duplicate-names/a.yaml")
    assert (code, out.splitlines()) == (1, [
        "content/21-duplicate-names/a.yaml:2:1: error: name: document name 'Same name' is used twice in US: "
        "also in content/21-duplicate-names/b.yaml:3",
        "1 error in 1 file",
    ])
    write_repo(tmp_path, "marketplaces: [US, DE]\n", {
        "new.yaml": "name: Old\nmarketplaces: [DE]\nmodules:\n  - standardText: {body: Hi}\n",
        # broken elsewhere, but still claims "Old" in DE (from aplusctl.yaml) as a previous name
        "renamed.yaml": "name: New\nprevious_names: [Old]\nmodules: oops\n",
    })
    code, out, _ = run("-C", str(tmp_path), "validate", "content/new.yaml")
    assert (code, out.splitlines()) == (1, [
        "content/new.yaml:1:1: error: name: document name 'Old' is used twice in DE: also in content/renamed.yaml:2",
        "1 error in 1 file",
    ])


def test_missing_path_is_a_diagnostic() -> None:
    code, out, _ = run("-C", str(EXAMPLES), "validate", "content/nope.yaml")
    assert code == 1
    assert out.splitlines()[0] == "content/nope.yaml:1:1: error: no such file or directory"


def test_json_format() -> None:
    code, out, _ = run("-C", str(BROKEN), "validate", "--format", "json", "content/22-bad-asin.yaml")
    assert code == 1
    assert json.loads(out) == [
        {"path": "content/22-bad-asin.yaml", "line": 6, "col": 5, "field": "asins[1]",
         "message": "'b0short' is not an ASIN (10 capital letters or digits)", "severity": "error"},
        {"path": "content/22-bad-asin.yaml", "line": 7, "col": 5, "field": "asins[2]",
         "message": "ASIN 'B0AAAAAAAA' is listed twice", "severity": "error"},
    ]
    code, out, _ = run("-C", str(EXAMPLES), "validate", "--format", "json")
    assert (code, json.loads(out)) == (0, [])


def test_github_format_is_default_on_actions(tmp_path: Path) -> None:
    shutil.copytree(BROKEN, tmp_path / "repo")  # outside any git checkout: paths from the repo root
    code, out, err = run("-C", str(tmp_path / "repo"), "validate", "content/23-bad-locale.yaml",
                         env={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ""})
    assert code == 1
    assert out.startswith("::error file=content/23-bad-locale.yaml,line=3,col=1")
    assert err.endswith("1 error in 1 file\n")


def _nested_repo(checkout: Path) -> Path:
    """A content repo in the `shop/` folder of a checkout, with one bad ASIN."""
    return write_repo(checkout / "shop", "marketplaces: [US]\n",
                      {"x.yaml": "name: X\nasins: [nope]\nmodules:\n  - standardText: {body: Hi}\n"})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_annotation_paths_start_at_the_git_top_level(tmp_path: Path) -> None:
    """With the action's working-directory, -C is a subfolder; GitHub wants checkout paths."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    repo = _nested_repo(tmp_path)
    code, out, _ = run("-C", str(repo), "validate", "--format", "github", env={"GITHUB_WORKSPACE": ""})
    assert code == 1
    assert out.startswith("::error file=shop/content/x.yaml,line=2,col=9,title=aplusctl%3A asins[0]::")
    code, out, _ = run("-C", str(repo), "validate", "--format", "text")
    assert out.startswith("content/x.yaml:2:9: error:")  # text output stays repo-relative


def test_annotation_paths_fall_back_to_github_workspace(tmp_path: Path) -> None:
    repo = _nested_repo(tmp_path)  # not a git checkout: git cannot say where the top is
    code, out, _ = run("-C", str(repo), "validate", "--format", "github",
                       env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert code == 1
    assert out.startswith("::error file=shop/content/x.yaml,line=2,col=9,")


def test_locale_for_another_country_warns_per_marketplace_and_passes(tmp_path: Path) -> None:
    write_repo(tmp_path, "marketplaces: [US]\n", {
        "d.yaml": "name: D\nlocale: de-DE\nmarketplaces: [US, DE, UK]\nmodules:\n  - standardText: {body: Hallo}\n",
    })
    code, out, _ = run("-C", str(tmp_path), "validate")
    assert (code, out.splitlines()) == (0, [
        "content/d.yaml:2:1: warning: locale: de-DE is sent to every marketplace of this file, but UK's usual locale is en-GB",
        "content/d.yaml:2:1: warning: locale: de-DE is sent to every marketplace of this file, but US's usual locale is en-US",
        "The document is valid. (2 warnings)",
    ])
    code, out, err = run("-C", str(tmp_path), "validate", "--format", "github", env={"GITHUB_WORKSPACE": ""})
    assert code == 0
    assert out.splitlines()[1] == (
        "::warning file=content/d.yaml,line=2,col=1,title=aplusctl%3A locale::de-DE is sent to every "
        "marketplace of this file, but US's usual locale is en-US")
    assert err.endswith("The document is valid. (2 warnings)\n")


def test_locale_warns_only_for_other_countries_and_several_marketplaces(tmp_path: Path) -> None:
    write_repo(tmp_path, "marketplaces: [BE, UK]\n", {
        # nl-BE is not BE's usual fr-BE but is Belgian; en-GB is the UK's usual locale
        "a.yaml": "name: A\nlocale: nl-BE\nmarketplaces: [BE, FR]\nmodules:\n  - standardText: {body: Hallo}\n",
        "b.yaml": "name: B\nlocale: en-GB\nmodules:\n  - standardText: {body: Hello}\n",
        # one marketplace: the locale was chosen for it (the DE store takes en-GB content)
        "c.yaml": "name: C\nlocale: en-GB\nmarketplaces: [DE]\nmodules:\n  - standardText: {body: Hello}\n",
    })
    code, out, _ = run("-C", str(tmp_path), "validate")
    assert (code, out.splitlines()) == (0, [
        "content/a.yaml:2:1: warning: locale: nl-BE is sent to every marketplace of this file, but FR's usual locale is fr-FR",
        "content/b.yaml:2:1: warning: locale: en-GB is sent to every marketplace of this file, but BE's usual locale is fr-BE",
        "All 3 documents are valid. (2 warnings)",
    ])


def test_bad_config_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "aplusctl.yaml").write_text("account_type: seller\nmarketplace: [US]\n", encoding="utf-8")
    code, out, _ = run("-C", str(tmp_path), "validate")
    assert code == 1
    assert out.splitlines() == [
        "aplusctl.yaml:2:1: error: marketplace: unknown key 'marketplace' (did you mean 'marketplaces'?)",
        "1 error in 1 file",
    ]


def test_render_prints_the_request_body() -> None:
    code, out, _ = run("-C", str(EXAMPLES), "render", "content/chef-knife-de.yaml")
    assert code == 0
    body = json.loads(out)
    doc = body["contentDocument"]
    assert list(body) == ["contentDocument"]
    assert (doc["name"], doc["contentType"], doc["locale"]) == ("Ferrum & Oak Kochmesser 20 cm", "EBC", "de-DE")
    image = doc["contentModuleList"][0]["standardHeaderImageText"]["block"]["image"]
    assert image == {
        "uploadDestinationId": "local:assets/hero-kochmesser.jpg",
        "imageCropSpecification": {"size": {"width": {"value": 970, "units": "pixels"},
                                            "height": {"value": 600, "units": "pixels"}}},
        "altText": "Kochmesser von Ferrum & Oak auf hellem Hintergrund",
    }


def test_render_needs_a_marketplace_when_several(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES, repo)
    path = repo / "content" / "knife-care.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("marketplaces: [US]", "marketplaces: [US, DE]"), encoding="utf-8")
    code, _, err = run("-C", str(repo), "render", "content/knife-care.yaml")
    assert (code, err) == (1, "error: content/knife-care.yaml targets US, DE: choose one with --marketplace\n")
    code, out, _ = run("-C", str(repo), "render", "content/knife-care.yaml", "--marketplace", "DE")
    assert code == 0 and json.loads(out)["contentDocument"]["locale"] == "de-DE"
    code, _, err = run("-C", str(repo), "render", "content/knife-care.yaml", "--marketplace", "JP")
    assert (code, err) == (1, "error: content/knife-care.yaml does not target JP (it targets US, DE)\n")


def test_render_of_a_broken_file_shows_diagnostics() -> None:
    code, out, err = run("-C", str(BROKEN), "render", "content/13-text-too-long.yaml")
    assert (code, out) == (1, "")
    assert "STANDARD_TEXT allows at most 160 here" in err


def test_colour_only_when_asked() -> None:
    from aplusctl.content.diagnostics import Diagnostic
    from aplusctl.render.diagnostics import text_report

    diag = Diagnostic("a.yaml", 1, 2, "name", "bad")
    assert text_report([diag], 1) == "a.yaml:1:2: error: name: bad\n1 error in 1 file\n"
    assert text_report([diag], 1, color=True) == (
        "\x1b[1ma.yaml:1:2:\x1b[0m \x1b[31m\x1b[1merror\x1b[0m: name: bad\n1 error in 1 file\n"
    )


def test_render_of_a_generate_only_document(tmp_path: Path) -> None:
    write_repo(tmp_path, "marketplaces: [US]\n",
               {"g.yaml": "name: G\ngenerate: {asin: B0AAAAAAAA, country_code: US, types: [A+ Basic]}\n"})
    code, out, err = run("-C", str(tmp_path), "render", "content/g.yaml")
    assert (code, out) == (1, "")
    assert err == "error: content/g.yaml has no modules yet: they come from its generate: stanza (run `aplusctl generate`)\n"
