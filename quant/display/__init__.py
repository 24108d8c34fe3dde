"""Numbers and names for people: one formatting layer behind the CLI, chat answers, web, Slack and reports.

``numbers`` turns values into text (percentages, money, counts, quantities, dates, ids); ``metrics``
knows each metric's label and unit, so the same metric reads the same on every interface. Machine
outputs (``--json``, API bodies) never go through here: they keep every digit.
"""

from quant.display.costs import allocation_summary, commission_text, cost_summary
from quant.display.metrics import MetricFormat, format_metric, metric_label, metric_lines
from quant.display.numbers import (
    DASH,
    bps,
    count,
    day,
    money,
    number,
    percent,
    percent_points,
    quantity,
    seconds,
    short_id,
    signed_money,
    timestamp,
)
from quant.display.overfitting import overfitting_conclusion, overfitting_headline
from quant.display.text import counted, joined, text_table
from quant.display.values import params_text, plain

__all__ = [
    "DASH", "MetricFormat", "count", "day", "format_metric", "metric_label", "metric_lines", "money", "number",
    "percent", "percent_points", "quantity", "short_id", "signed_money", "timestamp", "counted", "joined",
    "text_table",
    # research runs and tables
    "allocation_summary", "bps", "commission_text", "cost_summary", "overfitting_conclusion", "overfitting_headline",
    "params_text", "plain", "seconds",
]
