"""Backtesting: a vectorized engine, fused crossover grids, an event-driven engine with an order
book, walk-forward optimisation and reproducible results. See each module's docstring."""
