"""Research on stored bars — backtests, grids, walk-forward, Monte Carlo, optimisation — recorded as runs."""

from services.research.service import ResearchService, parse_range

__all__ = ["ResearchService", "parse_range"]
