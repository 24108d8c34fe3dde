"""Work budgets: every research request is sized before anything runs, and refused above the budget.

The size is in *cells*: parameter combinations x symbols x bars (the panel's sessions in the requested
window), and paths x bars of the source run for a Monte Carlo. Memory and time grow with it: a grid with
its overfitting check holds one daily-returns row per combination and bar (about 40 bytes a cell at one
symbol, less with more symbols), so the default budget of 50 million cells stays near 2 GB at worst,
while the largest benchmarked grid (174 pairs x 20 stocks x 8,313 bars = 28.9 million) still runs.
The budgets are settings (``QUANTPILOT_RESEARCH_MAX_CELLS``, ``QUANTPILOT_RESEARCH_MAX_PATH_CELLS``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from errors import ConfigError
from memory.bars import BarStore
from memory.db import Database
from memory.runs import RunStore
from quant.display.numbers import count
from quant.display.text import counted

CELLS_SETTING = "QUANTPILOT_RESEARCH_MAX_CELLS"
PATH_CELLS_SETTING = "QUANTPILOT_RESEARCH_MAX_PATH_CELLS"


class WorkBudgetExceeded(ConfigError):
    """A research request larger than the configured work budget (API 400, CLI exit 2)."""

    code = "work_budget_exceeded"


@dataclass(frozen=True)
class WorkEstimate:
    """The size of one research request; ``cells`` = combinations x symbols x bars x paths."""

    kind: str  # backtest | grid | walk_forward | monte_carlo | optimize
    combinations: int
    symbols: int
    bars: int
    paths: int = 1

    @property
    def cells(self) -> int:
        return self.combinations * self.symbols * self.bars * self.paths

    def describe(self) -> str:
        """``4,950 combinations × 1 symbol × 8,313 bars``."""
        parts = [counted(self.combinations, "combination"), counted(self.symbols, "symbol"),
                 counted(self.bars, "bar")] if self.kind != "monte_carlo" else [
                 counted(self.paths, "path"), counted(self.bars, "bar")]
        return " × ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "combinations": self.combinations, "symbols": self.symbols, "bars": self.bars,
                "paths": self.paths, "cells": self.cells}


@dataclass(frozen=True)
class WorkBudget:
    """The largest request allowed: ``max_cells`` for backtests, grids, walk-forwards and optimisations,
    ``max_path_cells`` for Monte Carlo."""

    max_cells: int
    max_path_cells: int

    @classmethod
    def from_settings(cls, settings: Any = None) -> WorkBudget:
        if settings is None:
            from config import get_settings

            settings = get_settings()
        return cls(settings.research_max_cells, settings.research_max_path_cells)

    def check(self, estimate: WorkEstimate) -> WorkEstimate:
        """``estimate`` when it fits; ``WorkBudgetExceeded`` naming the estimate, the budget and the setting."""
        monte_carlo = estimate.kind == "monte_carlo"
        budget, setting = (self.max_path_cells, PATH_CELLS_SETTING) if monte_carlo else (self.max_cells,
                                                                                         CELLS_SETTING)
        if estimate.cells <= budget:
            return estimate
        smaller = "fewer paths" if monte_carlo else "fewer parameter values, symbols or dates"
        what = estimate.kind.replace("_", "-")
        raise WorkBudgetExceeded(
            f"this {what} is {count(estimate.cells)} cells of work ({estimate.describe()}); the budget is "
            f"{count(budget)} cells. Ask for {smaller}, or raise {setting}",
            details={"estimate": estimate.to_dict(), "budget_cells": budget, "setting": setting})


def combinations(strategy: str, grid: Mapping[str, Sequence[Any]]) -> int:
    """How many parameter sets ``grid`` asks for, counted without expanding it: a crossover's valid
    (fast < slow) pairs exactly, any other strategy's full product (an upper bound)."""
    from services.research.service import CROSSOVERS

    if not grid:
        return 1
    if strategy in CROSSOVERS and set(grid) == {"fast", "slow"}:
        try:
            fast = sorted({float(v) for v in grid["fast"]})
            slow = pd.Series(sorted({float(v) for v in grid["slow"]}))
        except (TypeError, ValueError):
            return math.prod(len(v) for v in grid.values())
        return int(sum(int((slow > f).sum()) for f in fast))
    return math.prod(max(len(v), 1) for v in grid.values())


class WorkSizer:
    """Sizes research requests on stored bars and runs, and checks them against ``budget``."""

    def __init__(self, database: Database, budget: WorkBudget | None = None):
        self.bars = BarStore(database)
        self.runs = RunStore(database)
        self.budget = budget or WorkBudget.from_settings()

    def _sessions(self, symbols: Sequence[str], start, end, as_of) -> int:
        cutoff = as_of or end or pd.Timestamp.now(tz="UTC")
        return self.bars.session_count(list(symbols), start, end, as_of=cutoff)

    def panel(self, kind: str, strategy: str, symbols: Sequence[str], grid: Mapping[str, Sequence[Any]] | None,
              start=None, end=None, as_of=None) -> WorkEstimate:
        """A backtest (``grid`` None), grid or walk-forward of ``strategy`` on ``symbols``, checked."""
        wanted = sorted({str(s).strip().upper() for s in symbols if str(s).strip()})
        sets = combinations(strategy, grid) if grid else 1
        return self.budget.check(WorkEstimate(kind, sets, len(wanted), self._sessions(wanted, start, end, as_of)))

    def monte_carlo(self, run_id: int, n_paths: int) -> WorkEstimate:
        """A Monte Carlo of stored run ``run_id``: ``n_paths`` x the sessions the run covered, checked."""
        source = self.runs.get(run_id)
        summary = source.summary or {}
        bars = summary.get("bars") or summary.get("oos_bars") or 0
        if not bars and source.symbols:
            bars = self._sessions(source.symbols, summary.get("start"), summary.get("end"), None)
        return self.budget.check(WorkEstimate("monte_carlo", 1, 1, int(bars), int(n_paths)))

    def optimize(self, symbols: Sequence[str], as_of=None, lookback_days: int | None = None) -> WorkEstimate:
        wanted = sorted({str(s).strip().upper() for s in symbols if str(s).strip()})
        bars = self._sessions(wanted, None, None, as_of)
        if lookback_days:
            bars = min(bars, int(lookback_days))
        return self.budget.check(WorkEstimate("optimize", 1, len(wanted), bars))

    def request(self, kind: str, request: Mapping[str, Any]) -> WorkEstimate:
        """A queued job's request (``services.research.jobs`` kinds), sized and checked before it is queued."""
        if kind == "monte_carlo":
            return self.monte_carlo(int(request["source_run_id"]), int(request.get("n_paths", 10_000)))
        if kind == "optimize":
            return self.optimize(request["symbols"], request.get("as_of"), request.get("lookback_days"))
        grid = request.get("grid") if kind in ("grid", "walk_forward") else None
        return self.panel(kind, request["strategy"], request["symbols"], grid, request.get("start"),
                          request.get("end"), request.get("as_of"))
