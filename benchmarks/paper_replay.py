"""Paper replay speed: one year of 3 bundled stocks traded bar by bar through the whole gated path (risk policy,
stored approval, trading state, outbox, paper broker on Postgres) — the goal is under 5 s — side by side with
our vectorized backtest of the same strategy, symbols and year (what the replay costs over pure research math).

Each repeat trades in a fresh paper account of one database (bundled prices, a strategy approved to paper).
Prints the median and the ratio, then one JSON line per workload (``emit``).
Run: `.venv/bin/python benchmarks/paper_replay.py [--repeat 3] [--quick]` (``--quick``: one quarter, 1 repeat).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SYMBOLS = ["AAPL", "JNJ", "MSFT"]
STRATEGY = "bench_sma"
GOAL_S = 5.0


def _prepare(database) -> None:
    """Bundled prices of the three stocks and a strategy at stage paper (an approval someone else decided)."""
    from memory.approvals import ApprovalStore
    from memory.bars import BarStore
    from memory.strategies import StrategyRegistry
    from quant.data.providers.bundled import BundledProvider

    BarStore(database).upsert(BundledProvider().fetch(SYMBOLS, "2019-01-01", "2022-12-31"), source="bundled")
    registry, store = StrategyRegistry(database), ApprovalStore(database)
    if registry.get(STRATEGY) is None:
        registry.register(STRATEGY, "SMA 10/50 for the replay benchmark", "sma_crossover", {"fast": 10, "slow": 50})
    record, now = registry.get(STRATEGY), datetime.now(UTC)
    if record.stage != "paper":
        store.save_request({"id": "apr_bench_paper", "kind": "paper", "requester": "bench-trader", "channel": "cli",
                            "thread_id": None, "subject": {"strategy_id": STRATEGY, "version": record.version,
                                                           "params_hash": record.params_hash,
                                                           "from_stage": record.stage, "to_stage": "paper"},
                            "evidence": {}, "summary": "", "created_at": now, "expires_at": now + timedelta(days=3)})
        store.record_decision("apr_bench_paper", "approved", "bench-approver", "cli", None, now)
        registry.transition(STRATEGY, "paper", actor="bench-approver", approval_id="apr_bench_paper")


def _replay(database, account: str, start: str, end: str):
    from guardrails.policy import Actor, Channel, Role
    from services.paper_loop import run_paper

    trader = Actor(1, "bench-trader", Role.TRADER, Channel.CLI)
    return run_paper(database, trader, strategy=STRATEGY, symbols=SYMBOLS, start=start, end=end,
                     account_id=account)


def _backtest(database, start: str, end: str) -> None:
    from memory.bars import BarStore
    from quant.backtest.config import BacktestConfig
    from quant.backtest.engine import backtest
    from quant.backtest.panels import panels_from_bars
    from quant.strategies.registry import get_strategy, validate_params

    bars = BarStore(database).read(SYMBOLS, "2020-01-01", end, as_of=end)
    panels = panels_from_bars(bars)
    params = validate_params("sma_crossover", {"fast": 10, "slow": 50})
    config = BacktestConfig(start_date=datetime.fromisoformat(start).replace(tzinfo=UTC),
                            end_date=datetime.fromisoformat(end).replace(tzinfo=UTC))
    backtest(panels, get_strategy("sma_crossover").signals(panels, params), config)


def main() -> None:
    from benchmarks.isolation import use_private_home

    if "QUANTPILOT_HOME" not in os.environ:
        use_private_home("quantpilot-bench-paper-")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one quarter, one repeat")
    args = parser.parse_args()
    start, end = ("2021-01-04", "2021-03-31") if args.quick else ("2021-01-04", "2021-12-31")
    repeat = 1 if args.quick else args.repeat

    from benchmarks.peers.workloads import emit
    from config import Settings
    from memory.db import connect

    database = connect(Settings())
    _prepare(database)
    replays, backtests, report = [], [], None
    for n in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        report = _replay(database, f"bench-{os.getpid()}-{n}", start, end)
        replays.append((time.perf_counter() - began, time.process_time() - cpu))
        began, cpu = time.perf_counter(), time.process_time()
        _backtest(database, start, end)
        backtests.append((time.perf_counter() - began, time.process_time() - cpu))
    replay, vectorized = sorted(replays)[len(replays) // 2], sorted(backtests)[len(backtests) // 2]
    orders = sum(report.orders.values())
    print(f"paper replay {start}..{end}, {len(SYMBOLS)} symbols: {report.bars} bars, {orders} orders, "
          f"{sum(report.refusals.values())} refusals; median {replay[0]:.2f} s ({replay[0] / report.bars * 1000:.1f} "
          f"ms a bar), goal < {GOAL_S:.0f} s: {'met' if replay[0] < GOAL_S else 'NOT met'}")
    print(f"vectorized backtest of the same year: {vectorized[0] * 1000:.1f} ms; replay / backtest = "
          f"{replay[0] / vectorized[0]:,.0f}x")
    emit("paper replay, 1 year x 3 symbols", "quantpilot", replay, bars=report.bars, orders=orders,
         goal_seconds=GOAL_S)
    emit("paper replay, 1 year x 3 symbols", "quantpilot vectorized backtest", vectorized)


if __name__ == "__main__":
    main()
