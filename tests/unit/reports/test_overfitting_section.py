"""The report's "Is this result luck?" section appears exactly when an overfitting block is given."""

import numpy as np
import pandas as pd
from markupsafe import escape

from quant.display import overfitting_conclusion, percent
from quant.metrics.overfitting import assess_overfitting
from quant.reports.html import render_backtest_report
from quant.reports.json_report import report_json


def _equity() -> pd.Series:
    index = pd.date_range("2021-01-04", periods=300, freq="B", tz="UTC")
    return pd.Series(100_000 * np.cumprod(1 + np.random.default_rng(0).normal(0.0004, 0.01, 300)), index=index)


def test_overfitting_block_renders_its_verdict_and_values_in_html_and_json():
    block = assess_overfitting(np.random.default_rng(1).normal(0, 0.01, (300, 6)), 2).to_dict()
    html = render_backtest_report(_equity(), {"sharpe": 1.0}, overfitting=block)
    assert 'id="overfitting"' in html and str(escape(overfitting_conclusion(block))) in html
    assert f"probability of overfitting</td><td>{percent(block['pbo'], 0)}" in html
    assert report_json(_equity(), {"sharpe": 1.0}, overfitting=block)["overfitting"]["verdict"] == block["verdict"]


def test_report_without_overfitting_has_no_such_section():
    assert 'id="overfitting"' not in render_backtest_report(_equity(), {"sharpe": 1.0})
    assert report_json(_equity(), {"sharpe": 1.0})["overfitting"] is None
