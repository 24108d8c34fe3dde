"""The deterministic core: data providers and validation, indicators, strategies, backtest and
walk-forward, portfolio optimisation, risk math, order management and broker adapters,
performance metrics, reports. Imports no LLM, web or database library.
"""
