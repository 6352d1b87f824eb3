"""Pixii: A+ generation prices, shared by the planner (cost before spending) and the client."""

from __future__ import annotations

from collections.abc import Iterable

# Credits per requested variant, from Pixii's A+ endpoint page; a job costs the sum.
CREDIT_COST: dict[str, int] = {"A+ Basic": 20, "A+ Premium": 20, "A+ Premium Mobile": 30}

VARIANT_TYPES: tuple[str, ...] = tuple(CREDIT_COST)


def credit_cost(types: Iterable[str]) -> int:
    """Credits a submission of these variant types costs; unknown types raise KeyError."""
    return sum(CREDIT_COST[t] for t in types)
