"""Research on stored bars — backtests, grids, walk-forward, Monte Carlo, optimisation — recorded as runs.

The service is imported on first use: ``services.research.defaults`` and ``services.research.runs`` stay light
(no pandas, no numba), so a command that only reads them starts fast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.research.service import ResearchService

from services.research.ranges import parse_range

__all__ = ["ResearchService", "parse_range"]


def __getattr__(name: str) -> Any:
    if name == "ResearchService":
        from services.research import service

        return getattr(service, name)
    raise AttributeError(f"module 'services.research' has no attribute {name!r}")
