"""Backtesting: target positions in, equity/trades/metrics out, with one set of fill rules.

- ``config.BacktestConfig``: capital, costs, sizing, fills, shorting, capital mode (ConfigError on bad input).
- ``engine.backtest(panels, positions, config) -> result.BacktestResult``: the vectorized engine on frames.
- ``vectorized.run_vectorized``: (bars × symbols [× params]) arrays, per-symbol or portfolio capital.
- ``grid.run_crossover_grid`` (fused SMA/EMA crossover kernels) and ``grid.run_grid`` (any signal function).
- ``event.run_event`` / ``event.event_backtest``: bar-by-bar strategies with market, target, limit, stop and
  stop-limit orders (numba order book; compiled ``intents`` path or a Python ``on_bar`` hook).
- ``walkforward.walk_forward`` / ``walk_forward_crossover`` / ``WalkForwardEngine``.
All engines book fills through ``ledger`` (whole shares, slippage against the trader, per-order and bps
commission), so they agree to the cent. Kernels are numba ``nogil`` functions split over Python threads.
"""
