"""Indicators: quantpilot's core RSI14, MACD(12,26,9), BB(20,2), ATR14, EMA20 on 1,000,000 bars.

The same seeded synthetic bars as ``benchmarks/peers/indicators.py`` (``synthetic_bars(n, seed=2)``),
one JSON line per indicator and one for all five (sum of the per-indicator medians, seconds),
then one ``indicator_equality`` line: our values against TA-Lib's, read from the reference file
the peer script writes (``bench-results/talib_reference_<n>_bars.npz``), or against pandas-ta
(installed here) when that file is missing. Values are compared where both are defined, after
``BURN_IN_BARS`` (TA-Lib seeds RSI's Wilder average with an SMA, pandas-ta and we with the first
change; the difference decays by 13/14 a bar and is below 1e-12 long before the burn-in ends).
Run: `.venv/bin/python benchmarks/indicators.py [--quick] [--repeats 5]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peers.workloads import (  # noqa: E402
    INDICATOR_QUICK_BARS,
    INDICATOR_SEED,
    emit,
    median_seconds,
    synthetic_bars,
    talib_reference_path,
)
from quant.indicators import core  # noqa: E402

N_BARS = 1_000_000
BURN_IN_BARS = 1_000
TOLERANCE = 1e-9  # max |ours - reference| / max(1, |reference|)
OURS = "quantpilot core"


def suite(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> dict:
    return {
        "rsi14": lambda: core.rsi(c, 14),
        "macd_12_26_9": lambda: core.macd(c, 12, 26, 9),
        "bbands_20_2": lambda: core.bollinger_bands(c, 20, 2.0, ddof=0),
        "atr14": lambda: core.atr(h, lo, c, 14),
        "ema20": lambda: core.ema(c, 20),
    }


def our_values(h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    """Our outputs under the reference file's names."""
    m, bb = core.macd(c, 12, 26, 9), core.bollinger_bands(c, 20, 2.0, ddof=0)
    return {"rsi14": core.rsi(c, 14), "macd": m.macd, "macd_signal": m.signal, "macd_hist": m.histogram,
            "bb_upper": bb.upper, "bb_middle": bb.mid, "bb_lower": bb.lower, "atr14": core.atr(h, lo, c, 14),
            "ema20": core.ema(c, 20)}


def pandas_ta_values(bars) -> dict[str, np.ndarray]:
    from quant.indicators.catalog import import_pandas_ta

    ta = import_pandas_ta()
    h, lo, c = bars["high"], bars["low"], bars["close"]
    m = ta.macd(c, 12, 26, 9, talib=False)
    bb = ta.bbands(c, 20, 2.0, ddof=0, talib=False)
    return {"rsi14": ta.rsi(c, 14, talib=False).to_numpy(), "macd": m.iloc[:, 0].to_numpy(),
            "macd_signal": m.iloc[:, 2].to_numpy(), "macd_hist": m.iloc[:, 1].to_numpy(),
            "bb_lower": bb.iloc[:, 0].to_numpy(), "bb_middle": bb.iloc[:, 1].to_numpy(),
            "bb_upper": bb.iloc[:, 2].to_numpy(), "atr14": ta.atr(h, lo, c, 14, talib=False).to_numpy(),
            "ema20": ta.ema(c, 20, talib=False).to_numpy()}


def compare(ours: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[str, dict]:
    """Per output: the largest relative difference where both are defined after the burn-in."""
    report = {}
    for name, theirs in reference.items():
        a, b = ours[name][BURN_IN_BARS:], np.asarray(theirs, dtype=float)[BURN_IN_BARS:]
        both = ~np.isnan(a) & ~np.isnan(b)
        diff = np.abs(a[both] - b[both]) / np.maximum(1.0, np.abs(b[both]))
        report[name] = {"max_rel_diff": float(diff.max()) if diff.size else None, "compared": int(both.sum()),
                        "nan_mismatch": int((np.isnan(a) != np.isnan(b)).sum())}
    return report


def check_equality(bars) -> dict:
    """Compare with TA-Lib's stored values, or pandas-ta's when they are missing; one JSON line."""
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    path = talib_reference_path(len(bars))
    if path.exists():
        with np.load(path) as stored:
            reference, against = {k: stored[k] for k in stored.files}, "ta-lib"
    else:
        reference, against = pandas_ta_values(bars), "pandas-ta"
    report = compare(our_values(h, lo, c), reference)
    worst = max((r["max_rel_diff"] or 0.0) for r in report.values())
    equal = worst <= TOLERANCE and all(r["nan_mismatch"] == 0 and r["compared"] > 0 for r in report.values())
    record = {"workload": "indicator_equality", "peer": OURS, "against": against, "bars": len(bars),
              "burn_in_bars": BURN_IN_BARS, "tolerance": TOLERANCE, "max_rel_diff": worst, "equal": equal,
              "per_output": report}
    print(json.dumps(record), flush=True)
    return record


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{INDICATOR_QUICK_BARS:,} bars, 1 repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n_bars, repeats = (INDICATOR_QUICK_BARS, 1) if args.quick else (N_BARS, args.repeats)
    bars = synthetic_bars(n_bars, seed=INDICATOR_SEED)
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    total_wall = total_cpu = 0.0
    for name, run in suite(h, lo, c).items():
        timing = median_seconds(run, repeats)  # the warm-up run compiles (or loads) the numba kernels
        total_wall, total_cpu = total_wall + timing[0], total_cpu + timing[1]
        emit(f"indicator_{name}", OURS, timing, bars=n_bars, repeats=repeats)
    emit("indicators_all_five", OURS, (total_wall, total_cpu), bars=n_bars, repeats=repeats,
         note="sum of the five per-indicator medians")
    check_equality(bars)


if __name__ == "__main__":
    main()
