"""``python -m api.kernel_cache``: compile the research kernels into numba's cache once, when the venv is built.

numba compiles a kernel on its first call and caches the machine code (``Settings.numba_cache_dir``: one cache
per venv, shared by every home on it). Compiling is 20-40 s of CPU for the kernels a backtest, a walk-forward
with its overfitting statistics and a paper replay use: an install-time cost, like compiling bytecode, so
``make .venv/.installed`` runs this and a user's first ``quantpilot demo`` or ``backtest`` only loads the
kernels. The calls run the real entry points on small synthetic panels, with and without highs and lows (the
bundled prices are closes only), so each kernel is compiled for the argument types real data gives it.
"""

from __future__ import annotations

import os
import sys
import time


def compile_research_kernels() -> float:
    """Run the backtest, walk-forward (with overfitting statistics), grid and signal kernels once on small
    panels; returns the seconds it took (a few once they are cached)."""
    import numpy as np

    from quant.backtest.config import BacktestConfig
    from quant.backtest.engine import backtest
    from quant.backtest.kernel_warmup import load_crossover_kernels
    from quant.backtest.panels import panels_from_bars
    from quant.backtest.walkforward import WalkForwardConfig, walk_forward_crossover
    from quant.data.providers.synthetic import SyntheticProvider
    from quant.strategies.registry import get_strategy, validate_params

    began = time.perf_counter()
    load_crossover_kernels(overfitting=True)
    bars = SyntheticProvider(seed=1, n_bars=400).fetch(["AAA", "BBB"])
    for frame in (bars, bars.assign(open=np.nan, high=np.nan, low=np.nan, volume=np.nan)):
        panels = panels_from_bars(frame)
        for kind in ("sma", "ema"):
            strategy = f"{kind}_crossover"
            positions = get_strategy(strategy).signals(panels, validate_params(strategy, {"fast": 10, "slow": 50}))
            backtest(panels, positions, BacktestConfig(), strategy_id=strategy)
            walk_forward_crossover(panels, [5, 10], [20, 50], WalkForwardConfig(in_sample_days=200,
                                                                                 out_of_sample_days=50),
                                   BacktestConfig(), kind=kind, overfitting=True)
    return time.perf_counter() - began


def main() -> None:
    """Point numba at the configured cache (as the CLI does), compile, and say how long it took."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        from config import get_settings

        os.environ["NUMBA_CACHE_DIR"] = str(get_settings().numba_cache_dir)
    seconds = compile_research_kernels()
    print(f"numba kernels ready in {os.environ['NUMBA_CACHE_DIR']} ({seconds:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
