"""docs/content-files.md cannot drift from the code: its marked examples are run.

Every fenced block in that page is preceded by an HTML comment saying what it is:

- `<!-- example: content-file -->` + ```yaml: a complete content file. It is written into a copy
  of examples/content (its aplusctl.yaml and assets) and `aplusctl validate` must accept it.
- `<!-- example: module -->` + ```yaml: one module (a mapping). It is wrapped in a file
  targeting US and must validate the same way.
- `<!-- example: config -->` + ```yaml: an aplusctl.yaml; `aplusctl validate` must accept it.
- `<!-- example: rendered -->` + ```json: what `aplusctl render` prints for the example just
  before it: the whole request for a content file, the one module for a module example. Compared
  as JSON, so the page may format it compactly.
- `<!-- example: fragment -->`: shown for reading only (a partial file, output, a shell line).

A ```yaml or ```json block with no marker fails the test, so a new example cannot be added
untested by accident.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aplusctl.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "content-files.md"
EXAMPLES = ROOT / "examples" / "content"

KINDS = ("content-file", "module", "config", "rendered", "fragment")
_BLOCK = re.compile(
    r"(?:<!--\s*example:\s*(?P<kind>[\w-]+)\s*-->\s*\n)?"  # the marker, on the line(s) before
    r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    kind: str | None
    lang: str
    body: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.kind}-line{self.line}"


def blocks() -> list[Block]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("lang")) + 1
        out.append(Block(match["kind"], match["lang"], match["body"], line))
    return out


BLOCKS = blocks()
FILES = [b for b in BLOCKS if b.kind in ("content-file", "module")]
CONFIGS = [b for b in BLOCKS if b.kind == "config"]
RENDERED = [(BLOCKS[i - 1], b) for i, b in enumerate(BLOCKS) if b.kind == "rendered"]


def as_file(block: Block, name: str) -> str:
    """The content file a block stands for."""
    if block.kind == "content-file":
        return block.body
    return f"name: {name}\nmarketplaces: [US]\nmodules:\n  -\n{textwrap.indent(block.body, '    ')}"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"GITHUB_ACTIONS": "false", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example repo with its own content files left out (names would clash)."""
    root = tmp_path_factory.mktemp("docs") / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("content", ".aplusctl", "aplus.lock"))
    (root / "content").mkdir()
    return root


def write(repo: Path, block: Block) -> str:
    rel = f"content/docs-{block.id}.yaml"
    (repo / rel).write_text(as_file(block, f"Docs example {block.id}"), encoding="utf-8")
    return rel


def test_every_block_is_marked() -> None:
    unmarked = [b.line for b in BLOCKS if b.lang in ("yaml", "yml", "json") and b.kind is None]
    assert not unmarked, f"{DOC.name}: blocks on lines {unmarked} need an <!-- example: ... --> marker"
    unknown = sorted({b.kind for b in BLOCKS if b.kind is not None} - set(KINDS))
    assert not unknown, f"unknown example kinds: {unknown}"
    assert all(b.lang in ("yaml", "yml") for b in FILES + CONFIGS)
    assert all(b.lang == "json" for _, b in RENDERED)


def test_the_page_has_its_examples() -> None:
    assert len([b for b in BLOCKS if b.kind == "content-file"]) >= 2  # a minimal file and a full one
    assert CONFIGS and RENDERED
    assert all(before.kind in ("content-file", "module") for before, _ in RENDERED)


@pytest.mark.parametrize("block", FILES, ids=[b.id for b in FILES])
def test_example_validates(repo: Path, block: Block) -> None:
    rel = write(repo, block)
    code, out, err = run("-C", str(repo), "validate", rel)
    assert (code, out) == (0, "The document is valid.\n"), f"{DOC.name}:{block.line}\n{out}{err}"


@pytest.mark.parametrize("pair", RENDERED, ids=[after.id for _, after in RENDERED])
def test_rendered_output_is_what_render_prints(repo: Path, pair: tuple[Block, Block]) -> None:
    before, after = pair
    rel = write(repo, before)
    code, out, err = run("-C", str(repo), "render", rel)
    assert code == 0, f"{DOC.name}:{before.line}\n{out}{err}"
    printed = json.loads(out)
    if before.kind == "module":
        printed = printed["contentDocument"]["contentModuleList"][0]
    assert json.loads(after.body) == printed, f"{DOC.name}:{after.line} differs from `aplusctl render`"


@pytest.mark.parametrize("block", CONFIGS, ids=[b.id for b in CONFIGS])
def test_config_example_validates(tmp_path: Path, block: Block) -> None:
    (tmp_path / "aplusctl.yaml").write_text(block.body, encoding="utf-8")
    content_dir = (yaml.safe_load(block.body) or {}).get("content_dir", "content")
    (tmp_path / content_dir).mkdir(parents=True)
    code, out, err = run("-C", str(tmp_path), "validate")
    assert (code, out) == (0, "No content files found.\n"), f"{DOC.name}:{block.line}\n{out}{err}"
