"""Research tools over finished backtests: Monte Carlo resampling and factor attribution."""
