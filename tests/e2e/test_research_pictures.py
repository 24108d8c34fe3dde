"""The research pictures in headless Chromium: the grid's parameter heatmap and the Monte Carlo fan chart are
drawn on the run pages and in the stored reports (which load plotly.js from beside them, sandboxed, offline);
every run kind's report is under 1.5 MB and draws its charts opened from disk with the network cut off."""

from __future__ import annotations

import pytest

from tests.e2e.test_web_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DRAWN_MS = 30_000
MAX_REPORT_BYTES = 1_500_000


def _drawn(page, chart_id: str) -> int:
    """How many cells, paths or bars plotly drew in ``chart_id`` (a heatmap draws an image, a fan filled paths,
    the weights bars)."""
    page.wait_for_selector(f"#{chart_id} .main-svg", timeout=DRAWN_MS)
    return page.locator(f"#{chart_id} .heatmaplayer image, #{chart_id} .scatterlayer path.js-fill, "
                        f"#{chart_id} .scatterlayer path.js-line, #{chart_id} .barlayer .point path").count()


def test_grid_heatmap_and_monte_carlo_fan_are_drawn_on_the_pages_and_in_the_reports(live_app, chromium, shot):
    from services.research import ResearchService
    from tests.support.people import person

    research = ResearchService(live_app.database, actor=person("tina", "trader"))
    grid = research.grid("sma_crossover", ["AAPL", "MSFT"], {"fast": [5, 10, 20], "slow": [50, 100, 200]},
                         start="2012-01-01")
    backtest = research.backtest("sma_crossover", ["AAPL", "MSFT"], start="2012-01-01")
    fan = research.monte_carlo(backtest["run_id"], n_paths=500)
    page = log_in(chromium, live_app, "tina")

    page.goto(f"{live_app.base_url}/web/runs/{grid['run_id']}")
    assert _drawn(page, "grid-heatmap") >= 1
    assert "fast=" in page.locator("#best-sets").inner_text() and page.locator("#overfitting").count() == 1
    shot(page, "grid-heatmap")

    page.goto(f"{live_app.base_url}/web/runs/{fan['run_id']}")
    assert _drawn(page, "montecarlo-fan") >= 3  # two percentile bands and the median
    assert _drawn(page, "equity-chart") >= 1  # the source run's equity, sleeves and total
    shot(page, "montecarlo-fan")

    for run_id, chart in ((grid["run_id"], "grid-heatmap"), (fan["run_id"], "montecarlo-fan")):
        report = page.goto(f"{live_app.base_url}/web/runs/{run_id}/report")
        assert report.status == 200 and "sandbox" in report.headers["content-security-policy"]
        assert _drawn(page, chart) >= 1  # plotly.min.js came from beside the report, not inlined
        shot(page, f"report-{chart}")


def test_every_run_kinds_report_is_small_and_draws_its_charts_offline_from_disk(live_app, chromium, shot):
    from pathlib import Path

    from services.research import ResearchService
    from tests.support.people import person

    research = ResearchService(live_app.database, actor=person("tina", "trader"))
    backtest = research.backtest("sma_crossover", ["AAPL", "MSFT"], start="2012-01-01")
    runs = {
        "backtest": (backtest, "equity-chart"),
        "grid": (research.grid("sma_crossover", ["AAPL", "MSFT"], {"fast": [5, 10], "slow": [50, 100]},
                               start="2012-01-01"), "grid-heatmap"),
        "walkforward": (research.walk_forward("sma_crossover", ["AAPL", "MSFT"], {"fast": [5, 10], "slow": [50]},
                                              start="2016-01-01"), "equity-chart"),
        "montecarlo": (research.monte_carlo(backtest["run_id"], n_paths=300), "montecarlo-fan"),
        "optimize": (research.optimize("hrp", ["AAPL", "MSFT"], total_value=10_000), "weights-chart"),
    }
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    fetched: list[str] = []

    def offline(route):  # only files on disk: any request to a server fails, as without a network
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    for kind, (run, chart) in runs.items():
        path = Path(research.report(run["run_id"]))
        assert path.stat().st_size < MAX_REPORT_BYTES, f"{kind} report is {path.stat().st_size:,} bytes"
        page.goto(path.as_uri())
        assert _drawn(page, chart) >= 1, f"{kind} report drew no {chart}"
        assert not page.locator("#no-plotly").is_visible()
        shot(page, f"offline-report-{kind}")
    assert fetched == []
    context.close()
