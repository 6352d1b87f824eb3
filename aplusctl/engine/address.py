"""Addresses ("US/Chef Knife": what users type and read) and --target/--exclude selection."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from aplusctl.marketplaces import by_id


def country_of(marketplace_id: str) -> str:
    """The marketplace's country code; the id itself for a marketplace aplusctl does not know."""
    try:
        return by_id(marketplace_id).country
    except KeyError:
        return marketplace_id


def address_of(marketplace_id: str, name: str) -> str:
    return f"{country_of(marketplace_id)}/{name}"


def selected(name: str, address: str, path: str, targets: Sequence[str], excludes: Sequence[str]) -> bool:
    """--target/--exclude: shell globs matched against the name, the address or the file path."""

    def hit(patterns: Sequence[str]) -> bool:
        return any(
            fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(address, p)
            or fnmatch.fnmatchcase(path, p)
            for p in patterns
        )

    return (not targets or hit(targets)) and not hit(excludes)
