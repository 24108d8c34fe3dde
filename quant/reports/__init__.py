"""Backtest reports: self-contained HTML (plotly.js inlined, no CDN) and a JSON twin."""

from quant.reports.html import render_backtest_report
from quant.reports.json_report import report_json
from quant.reports.writer import write_report

__all__ = ["render_backtest_report", "report_json", "write_report"]
