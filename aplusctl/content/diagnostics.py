"""A problem found in the content files, pointing at the YAML node that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str      # repo-relative, forward slashes
    line: int      # 1-based
    col: int       # 1-based
    field: str     # dotted field path inside the file, e.g. "modules[2].standardText.headline"
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {where}{self.message}"
