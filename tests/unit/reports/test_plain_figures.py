"""Report figures are plotly's figure as plain data: no plotly validation on the way to the page."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from quant.reports import charts

ROOT = Path(__file__).resolve().parents[3]

_RENDER = """
import json, sys
import numpy as np, pandas as pd
from quant.reports import render_backtest_report
index = pd.bdate_range("2021-01-04", periods=400, tz="UTC")
equity = pd.Series(100_000 * np.cumprod(1 + np.random.default_rng(0).normal(0.0005, 0.01, 400)), index=index)
trades = pd.DataFrame({"entry_ts": [index[5]], "exit_ts": [index[40]], "symbol": ["AAPL"], "qty": [10],
                       "entry_price": [130.0], "exit_price": [140.0], "pnl": [100.0], "fees": [1.0]})
page = render_backtest_report(equity, {"sharpe": 1.0}, trades=trades, folds=[], overfitting={"pbo": 0.2})
print(json.dumps({"drawn": page.count("Plotly.newPlot"), "modules": sorted(sys.modules)}))
"""


def test_rendering_a_report_loads_none_of_plotlys_validators():
    done = subprocess.run([sys.executable, "-c", _RENDER], cwd=ROOT, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)

    assert found["drawn"] == 4  # equity, drawdown, monthly returns, trades on AAPL
    validators = [m for m in found["modules"] if m.startswith(("plotly.validators", "plotly.validator_cache"))]
    assert validators == [] and "plotly.graph_objects" not in found["modules"]


def test_a_figure_is_plain_json_with_its_numbers_as_a_typed_array():
    index = pd.bdate_range("2024-01-02", periods=3, tz="UTC")
    figure = charts.equity_chart(pd.Series([100.0, 101.5, np.nan], index=index))

    trace = json.loads(json.dumps(figure))["data"][0]  # nothing but JSON types
    numbers = np.frombuffer(base64.b64decode(trace["y"]["bdata"]), dtype="<f8")
    assert trace["x"] == ["2024-01-02", "2024-01-03", "2024-01-04"] and trace["y"]["dtype"] == "f8"
    assert numbers[:2].tolist() == [100.0, 101.5] and np.isnan(numbers[2])
    assert figure["layout"]["template"]["layout"]["plot_bgcolor"] == "white"  # plotly_white, resolved


def test_the_grid_heatmap_keeps_its_shape_and_shows_no_cell_text_when_large():
    surface = pd.DataFrame([{"fast": f, "slow": s, "objective_sharpe": f / s} for f in range(1, 31)
                            for s in range(31, 61)])  # fmt: skip

    heatmap = charts.grid_heatmap(surface, "objective_sharpe", ["fast", "slow"])["data"][0]

    assert heatmap["z"]["shape"] == "30, 30" and "texttemplate" not in heatmap  # 900 cells: too many to label
    assert heatmap["colorbar"] == {"title": {"text": "Sharpe"}}
