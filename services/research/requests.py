"""What a research job request must be before it is queued: a 4xx (CLI exit 2, a chat refusal) now for what
would make the job fail at once — strategy, parameters, costs, stored symbols, the source run — rather than a
failed job later. ``services.research.jobs`` checks every request it admits with ``check_request``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from errors import ConfigError, DataError
from memory.bars import BarStore
from memory.db import Database
from memory.runs import RunStore

CHECKED_SETS = 10_000  # a grid up to this many parameter sets is checked for a valid one before it is queued


def check_request(database: Database, kind: str, request: Mapping[str, Any]) -> None:
    """ConfigError or DataError naming what is wrong in ``request`` (a job kind of ``services.research.worker``)."""
    from quant.strategies.registry import validate_params
    from services.research.search import valid_grid
    from services.research.service import ResearchService, walk_forward_grid

    if kind == "monte_carlo":
        source = RunStore(database).get(int(request["source_run_id"]))
        if source.kind not in ("backtest", "walkforward") or source.status != "done":
            raise ConfigError(f"run {source.id} is a {source.status} {source.kind} run; give a finished backtest "
                              "or walk-forward run", details={"field": "source_run_id"})
        return
    if kind == "backtest":
        validate_params(request["strategy"], request.get("params"))
    elif kind in ("grid", "walk_forward"):
        grid = request.get("grid") or {}
        grid = walk_forward_grid(request["strategy"], grid) if kind == "walk_forward" else grid
        if math.prod(len(values) for values in grid.values()) <= CHECKED_SETS:
            valid_grid(request["strategy"], grid)  # no valid set: refused now, as the CLI refuses it
        else:  # a request never enumerates millions of sets: the job checks them (its budget sized it)
            validate_params(request["strategy"], None)
    if kind != "optimize":
        ResearchService.backtest_config(request.get("start"), request.get("end"), request.get("config"))
    wanted = {str(s).strip().upper() for s in request.get("symbols") or []}
    unknown = sorted(wanted - BarStore(database).known_symbols())
    if unknown:
        raise DataError(f"unknown symbol(s) {', '.join(unknown)}; load them first (`quantpilot data load "
                        f"--symbols {','.join(unknown)}`, or POST /api/v1/data/load)",
                        code="unknown_symbol", details={"symbols": unknown})
