from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from errors import DataError
from quant.reports import render_backtest_report, report_json, write_report
from quant.reports.inputs import drawdown_pct, monthly_returns_pct, thinned
from quant.reports.plotly_bundle import SCRIPT_TAG, plotly_source, self_contained
from quant.research.montecarlo import bootstrap_returns

_WHEN = datetime(2024, 1, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def equity():
    index = pd.bdate_range("2021-01-04", periods=300, tz="UTC")
    steps = np.random.default_rng(0).normal(0.0005, 0.01, len(index))
    return pd.Series(100_000 * np.cumprod(1 + steps), index=index)


@pytest.fixture(scope="module")
def trades(equity):
    ts = equity.index
    return pd.DataFrame({
        "entry_ts": [ts[5], ts[60]], "exit_ts": [ts[40], ts[120]], "symbol": ["AAPL", "MSFT"], "qty": [10, 4],
        "entry_price": [130.0, 240.0], "exit_price": [140.0, 230.0], "pnl": [100.0, -40.0], "fees": [1.0, 1.0],
    })  # fmt: skip


@pytest.fixture(scope="module")
def full_inputs(equity, trades):
    return {
        "trades": trades,
        "folds": [{"oos_start": "2021-06-01", "oos_end": "2021-09-30", "metrics": {"sharpe": 0.8, "trades": 7}}],
        "monte_carlo": bootstrap_returns(equity.pct_change().dropna(), n_paths=200, seed=1),
        "optimization": {"weights": {"AAPL": 0.6, "MSFT": 0.4}, "expected_annual_return": 0.12,
                         "annual_volatility": 0.2, "sharpe": 0.6, "method": "max_sharpe", "covariance": "sample"},
        "frontier": [{"annual_volatility": 0.18, "expected_annual_return": 0.08},
                     {"annual_volatility": 0.25, "expected_annual_return": 0.15}],
        "generated_at": _WHEN,
    }  # fmt: skip


@pytest.fixture(scope="module")
def html(equity, full_inputs):
    prices = pd.DataFrame({"AAPL": np.linspace(120, 150, len(equity))}, index=equity.index)
    return render_backtest_report(equity, {"sharpe": 1.23456, "max_drawdown_pct": -12.5}, prices=prices, **full_inputs)


def test_report_loads_no_script_from_the_network(html):
    remote = r"<(script|link|img|iframe)[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//"
    assert not re.search(remote, html, flags=re.IGNORECASE)
    assert re.findall(r"<script src=\"([^\"]+)\"", html) == ["plotly.min.js"]  # from the report's own folder


def test_report_loads_plotly_once_from_its_folder_and_stays_small(html):
    assert html.count(SCRIPT_TAG) == 1 and "plotly.js v" not in html
    assert len(html.encode()) < 1_500_000
    assert html.count('id="equity-chart"') == 1


def test_a_self_contained_copy_inlines_plotly_exactly_once(html):
    standalone = self_contained(html)
    assert standalone.count("plotly.js v") >= 1 and SCRIPT_TAG not in standalone  # the library's banner
    assert "<script src" not in standalone.lower() and len(standalone) > 3_000_000


def test_a_written_report_gets_plotly_beside_it_hard_linked_to_one_copy(tmp_path, html):
    cache = tmp_path / "plotly-cache"
    first = write_report(tmp_path / "runs" / "1" / "report.html", html, plotly_cache=cache)
    second = write_report(tmp_path / "runs" / "2" / "report.html", html, plotly_cache=cache)
    beside = [path.with_name("plotly.min.js") for path in (first, second)]
    assert all(p.is_file() for p in beside)
    assert beside[0].stat().st_ino == beside[1].stat().st_ino == (cache / "plotly.min.js").stat().st_ino
    assert beside[0].read_bytes() == plotly_source().read_bytes()


def test_report_contains_every_section(html):
    for section in ("metrics", "equity", "monthly-returns", "trades", "walk-forward", "monte-carlo", "portfolio"):
        assert f'<section id="{section}">' in html
    for div in ("drawdown-chart", "monthly-heatmap", "trades-0", "montecarlo-fan", "weights-chart", "frontier-chart"):
        assert f'id="{div}"' in html
    assert "1.23" in html and "max drawdown" in html and "2021-06-01" in html and "max_sharpe" in html
    assert "1.2346" not in html  # numbers as people read them (quant.display), not four raw decimals


def test_optional_sections_are_left_out_when_not_given(equity):
    page = render_backtest_report(equity, {"sharpe": 1.0}, generated_at=_WHEN)
    assert '<section id="metrics">' in page and '<section id="equity">' in page
    for section in ("trades", "walk-forward", "monte-carlo", "portfolio"):
        assert f'<section id="{section}">' not in page


def test_same_inputs_render_the_same_page(equity, full_inputs):
    first = render_backtest_report(equity, {"sharpe": 1.0}, **full_inputs)
    assert first == render_backtest_report(equity, {"sharpe": 1.0}, **full_inputs)


def test_metric_names_are_escaped(equity):
    page = render_backtest_report(equity, {"<script>alert(1)</script>": 1.0}, generated_at=_WHEN)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_trades_missing_columns_are_a_data_error(equity, trades):
    with pytest.raises(DataError, match=r"lack columns \['fees'\]"):
        render_backtest_report(equity, {}, trades=trades.drop(columns="fees"))


def test_drawdown_and_monthly_returns_match_hand_computation():
    index = pd.to_datetime(["2024-01-10", "2024-01-31", "2024-02-15", "2024-02-29", "2024-03-29"])
    equity = pd.Series([100.0, 110.0, 99.0, 121.0, 121.0], index=index)

    assert drawdown_pct(equity).tolist() == pytest.approx([0.0, 0.0, -10.0, 0.0, 0.0])
    monthly = monthly_returns_pct(equity)
    assert monthly.loc[2024, 1] == pytest.approx(10.0)  # 100 → 110
    assert monthly.loc[2024, 2] == pytest.approx(10.0)  # 110 → 121
    assert monthly.loc[2024, 3] == pytest.approx(0.0)
    assert monthly.loc[2024, [4, 5]].isna().all()


def test_json_report_is_strict_json_with_the_same_data(equity, full_inputs):
    data = report_json(equity, {"sharpe": float("nan"), "trades": np.int64(2)}, **{
        k: v for k, v in full_inputs.items() if k != "generated_at"})  # fmt: skip

    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["metrics"] == {"sharpe": None, "trades": 2}
    assert data["equity"]["value"][-1] == pytest.approx(float(equity.iloc[-1]))
    assert data["equity"]["ts"][0] == equity.index[0].isoformat()
    assert min(data["drawdown_pct"]) <= 0.0
    assert data["trades"][0]["symbol"] == "AAPL" and data["trades"][0]["entry_ts"] == equity.index[5].isoformat()
    assert data["monte_carlo"]["n_paths"] == 200
    assert data["optimization"]["weights"] == {"AAPL": 0.6, "MSFT": 0.4}


def test_write_report_replaces_the_file_atomically_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "reports" / "run.html"
    write_report(target, "<html>old</html>")
    write_report(target, "<html>new</html>")

    assert target.read_text(encoding="utf-8") == "<html>new</html>"
    assert [p.name for p in target.parent.iterdir()] == ["run.html"]


def test_a_failed_write_keeps_the_old_report(tmp_path):
    target = tmp_path / "run.html"
    write_report(target, "<html>old</html>")
    with pytest.raises(UnicodeEncodeError):
        write_report(target, "\ud800")  # a lone surrogate cannot be encoded as UTF-8
    assert target.read_text(encoding="utf-8") == "<html>old</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["run.html"]


def test_a_long_series_is_thinned_for_charts_keeping_ends_and_the_deepest_drawdown():
    index = pd.bdate_range("1990-01-01", periods=9000, tz="UTC")
    values = pd.Series(np.linspace(100, 200, 9000), index=index)
    values.iloc[4321] = 1.0  # one deep dip
    kept = thinned(values, 1500, how="min")
    assert len(kept) <= 1502 and kept.index[0] == index[0] and kept.index[-1] == index[-1]
    assert kept.min() == 1.0
    assert thinned(values.iloc[:100]).equals(values.iloc[:100])


def test_an_open_trade_is_drawn_at_its_entry_with_no_exit_marker(equity, trades):
    still_open = trades.assign(exit_ts=[trades["exit_ts"].iloc[0], pd.NaT], exit_price=[140.0, np.nan])

    page = render_backtest_report(equity, {"sharpe": 1.0}, trades=still_open, generated_at=_WHEN)

    assert 'id="trades-1"' in page  # MSFT's chart, whose only trade is still open
    assert "NaT" not in page
