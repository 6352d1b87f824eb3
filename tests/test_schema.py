"""The checked-in JSON Schemas: fresh, valid, and in agreement with the loader on real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from aplusctl.cli import main
from aplusctl.cli.schema import dump, schema_files

ROOT = Path(__file__).parents[1]
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "examples" / "content"
EXAMPLE_FILES = sorted((EXAMPLES / "content").glob("*.yaml")) + [EXAMPLES / "aplusctl.yaml"]


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(schema_files()))
def test_checked_in_schema_is_fresh(name: str) -> None:
    current = (SCHEMAS / name).read_text(encoding="utf-8")
    assert current == dump(schema_files()[name]), f"schemas/{name} is stale: run `aplusctl schema`"


@pytest.mark.parametrize("name", sorted(schema_files()))
def test_schema_is_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(schema_files()[name])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_examples_point_at_the_schema_and_pass_it(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, f"{path.name} must start with a yaml-language-server $schema line"
    target = (path.parent / match.group(1)).resolve()
    assert target.parent == SCHEMAS.resolve() and target.is_file()
    errors = [e.message for e in validator(target.name).iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert errors == []


@pytest.mark.parametrize("doc,fragment", [
    ({"name": "x", "asin": ["B0AAAAAAAA"]}, "Additional properties are not allowed ('asin' was unexpected)"),
    ({"name": "x", "modules": [{"standardText": {"hedline": "x", "body": "y"}}]}, "('hedline' was unexpected)"),
    ({"name": "x", "modules": [{"standardText": {"body": 5}}]}, "is not valid under any of the given schemas"),
    ({"name": "x", "generate": {"asin": "B0AAAAAAAA", "country_code": "XX", "types": ["A+ Basic"]}}, "'XX' is not one of"),
    ({"name": "x", "modules": [{"standardCompanyLogo": {"companyLogo": {"src": "a.png"}}}]}, "is not valid under any of the given schemas"),
])
def test_schema_rejects_what_the_loader_rejects(doc: dict, fragment: str) -> None:
    messages = [e.message for e in validator("content.schema.json").iter_errors(doc)]
    assert any(fragment in m for m in messages), messages


def test_schema_accepts_every_sugar() -> None:
    doc = {
        "name": "Sugars",
        "modules": [
            {"standardText": {"headline": "plain", "body": "plain"}},
            {"standardCompanyLogo": {"companyLogo": {"src": "assets/logo.png", "alt": "Logo", "crop": {"width": 600, "height": 180}}}},
            {"standardSingleSideImage": {"imagePositionType": "LEFT", "block": {"image": {
                "upload_destination_id": "sc/abc.png", "alt": "Up", "size": {"width": 300, "height": 300}}}}},
            {"contentModuleType": "STANDARD_TEXT", "standardText": {"body": {"textList": [{"value": "full"}]}}},
        ],
    }
    assert [e.message for e in validator("content.schema.json").iter_errors(doc)] == []


def test_schema_command_check_and_write(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["-C", str(ROOT), "schema", "--check"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["-C", str(tmp_path), "schema", "--check"])
    assert result.exit_code == 1
    result = runner.invoke(main, ["-C", str(tmp_path), "schema"])
    assert result.exit_code == 0
    assert (tmp_path / "schemas" / "content.schema.json").read_text(encoding="utf-8") == (SCHEMAS / "content.schema.json").read_text(encoding="utf-8")
    assert runner.invoke(main, ["-C", str(tmp_path), "schema", "--check"]).exit_code == 0
