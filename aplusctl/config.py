"""The content repo's `aplusctl.yaml`: account, region, default marketplaces, sandbox, pruning.

Loaded once per command; any problem is a UserError naming aplusctl.yaml:line:col, because
nothing else can run on a repo whose config is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from aplusctl import marketplaces as mp
from aplusctl.content.diagnostics import Diagnostic
from aplusctl.content.expand import did_you_mean
from aplusctl.content.file_model import editor_schema, pydantic_problems
from aplusctl.content.yamlpos import YamlError, format_path, load_located
from aplusctl.errors import UserError

CONFIG_FILE = "aplusctl.yaml"


class RepoConfig(BaseModel):
    """Repo-wide settings; every content file inherits them."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    account_type: Annotated[Literal["seller", "vendor"], Field(
        description="seller → contentType EBC (up to 7 modules); vendor → EMC (up to 5).")] = "seller"
    region: Annotated[Literal["NA", "EU", "FE"] | None, Field(
        description="SP-API region; every marketplace must belong to it. Default: from the marketplaces.")] = None
    marketplaces: Annotated[list[str], Field(
        description="Default marketplaces (country codes or marketplace IDs) for files that name none.")] = []
    content_dir: Annotated[str, Field(min_length=1, description="Where content files live, relative to this file.")] = "content"
    sandbox: Annotated[bool, Field(description="Run against the local sandbox instead of Amazon and Pixii.")] = False
    prune: Annotated[bool, Field(description="Suspend live documents that no file declares (default: report only).")] = False

    @field_validator("marketplaces")
    @classmethod
    def _known(cls, value: list[str], info: ValidationInfo) -> list[str]:
        region = info.data.get("region")
        for code in value:
            found = mp.lookup(code)
            if found is None:
                known = [m.country for m in mp.MARKETPLACES]
                raise ValueError(f"unknown marketplace {code!r}{did_you_mean(code.upper(), known)}")
            if region and found.region != region:
                raise ValueError(f"{code} is in region {found.region}, not in region {region}")
        return value

    @field_validator("content_dir")
    @classmethod
    def _inside(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("must be a directory inside the repo (relative, no '..')")
        return value

    @property
    def content_type(self) -> Literal["EBC", "EMC"]:
        return "EBC" if self.account_type == "seller" else "EMC"

    @property
    def marketplace_ids(self) -> list[str]:
        return [mp.lookup(code).marketplace_id for code in self.marketplaces]  # type: ignore[union-attr]


CONFIG_KEYS: tuple[str, ...] = tuple(RepoConfig.model_fields)


def config_schema() -> dict[str, Any]:
    """JSON Schema of aplusctl.yaml, for editors and `aplusctl schema`."""
    schema = editor_schema(RepoConfig.model_json_schema())
    schema.pop("title", None)
    for prop in schema["properties"].values():
        prop.pop("title", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "aplusctl.yaml", **schema}


def config_diagnostics(root: Path) -> tuple[RepoConfig | None, list[Diagnostic]]:
    """Parse aplusctl.yaml; the config when valid, and every problem found."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return None, [Diagnostic(CONFIG_FILE, 1, 1, "", f"no {CONFIG_FILE} in {root} (is -C/--chdir the repo root?)")]
    try:
        located = load_located(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [Diagnostic(CONFIG_FILE, 1, 1, "", "not UTF-8 text")]
    except YamlError as exc:
        return None, [Diagnostic(CONFIG_FILE, exc.line, exc.col, "", exc.message)]
    diags = [Diagnostic(CONFIG_FILE, p.line, p.col, format_path(p.path), p.message) for p in located.problems]
    if diags:
        return None, diags
    data = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        return None, diags + [Diagnostic(CONFIG_FILE, 1, 1, "", "must be a mapping such as `account_type: seller`")]
    try:
        config = RepoConfig.model_validate(data)
    except ValidationError as exc:
        for loc, kind, message in pydantic_problems(exc):
            if kind == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}{did_you_mean(str(loc[-1]), CONFIG_KEYS)}"
            line, col = located.locate(loc)
            diags.append(Diagnostic(CONFIG_FILE, line, col, format_path(loc), message))
        return None, diags
    return (config if not diags else None), diags


def load_config(root: Path) -> RepoConfig:
    """The repo's config, or a UserError listing every problem with its line."""
    config, diags = config_diagnostics(root)
    if config is None:
        lines = [f"{d.path}:{d.line}:{d.col}: {d.field + ': ' if d.field else ''}{d.message}" for d in sorted(diags)]
        raise UserError("\n".join(lines))
    return config
