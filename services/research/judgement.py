"""The overfitting block of a grid or walk-forward with its plain-language conclusion stored beside the numbers,
so every interface (CLI, chat, API, web, report) says the same thing about the same run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quant.display import overfitting_conclusion


def judged(block: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``block`` plus ``conclusion``: what the deflated Sharpe and PBO mean for this result and what to do next."""
    if not block:
        return None
    return {**block, "conclusion": overfitting_conclusion(block)}
