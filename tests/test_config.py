"""aplusctl.yaml: defaults, derived values, and every problem reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from aplusctl.config import RepoConfig, config_diagnostics, load_config
from aplusctl.errors import UserError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "aplusctl.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, text: str) -> list[str]:
    config, diags = config_diagnostics(write(tmp_path, text))
    assert config is None
    return [str(d) for d in diags]


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing set\n"))
    assert config == RepoConfig(account_type="seller", region=None, marketplaces=[], content_dir="content", sandbox=False, prune=False)
    assert config.content_type == "EBC"


def test_full_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "account_type: vendor\nregion: EU\nmarketplaces: [DE, A13V1IB3VIYZZH]\n"
                                         "content_dir: docs/aplus\nsandbox: true\nprune: true\n"))
    assert (config.content_type, config.marketplace_ids, config.content_dir, config.sandbox, config.prune) == (
        "EMC", ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"], "docs/aplus", True, True,
    )


@pytest.mark.parametrize("text,expected", [
    ("account_type: sellr\n",
     "aplusctl.yaml:1:1: error: account_type: the string 'sellr' is not one of 'seller' or 'vendor' (did you mean 'seller'?)"),
    ("acount_type: seller\n",
     "aplusctl.yaml:1:1: error: acount_type: unknown key 'acount_type' (did you mean 'account_type'?)"),
    ("sandbox: true\nprune: 1\n", "aplusctl.yaml:2:1: error: prune: expected true or false, got the number 1"),
    ("marketplaces: [US, DX]\n", "aplusctl.yaml:1:1: error: marketplaces: unknown marketplace 'DX'"),
    ("marketplaces: US\n", "aplusctl.yaml:1:1: error: marketplaces: expected a list, got the string 'US'"),
    ("region: NA\nmarketplaces: [US, DE]\n", "aplusctl.yaml:2:1: error: marketplaces: DE is in region EU, not in region NA"),
    ("content_dir: ../elsewhere\n", "aplusctl.yaml:1:1: error: content_dir: must be a directory inside the repo (relative, no '..')"),
    ("sandbox: true\nsandbox: false\n", "aplusctl.yaml:2:1: error: sandbox: duplicate key 'sandbox' (first defined on line 1)"),
    ("- seller\n", "aplusctl.yaml:1:1: error: must be a mapping such as `account_type: seller`"),
    ("sandbox: [true\n", "aplusctl.yaml:2:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 1)"),
])
def test_problems(tmp_path: Path, text: str, expected: str) -> None:
    assert problems(tmp_path, text) == [expected]


def test_load_config_raises_a_user_error_listing_everything(tmp_path: Path) -> None:
    write(tmp_path, "acount_type: seller\nsandbox: maybe\n")
    with pytest.raises(UserError) as exc:
        load_config(tmp_path)
    assert str(exc.value) == (
        "aplusctl.yaml:1:1: acount_type: unknown key 'acount_type' (did you mean 'account_type'?)\n"
        "aplusctl.yaml:2:1: sandbox: expected true or false, got the string 'maybe'"
    )


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^aplusctl.yaml:1:1: no aplusctl.yaml in .* \(is -C/--chdir the repo root\?\)$"):
        load_config(tmp_path)
