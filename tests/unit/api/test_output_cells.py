"""CLI tables: numbers as people read them (JSON keeps every digit), ids on one line and shortened."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rich.console import Console

import api.output as output
from quant.display import plain, short_id


def test_table_cells_drop_trailing_zeros_and_show_at_most_four_decimals():
    assert plain(Decimal("2.0000000000")) == "2"
    assert plain("147.6997123456") == "147.6997"
    assert plain(1479321.0) == "1,479,321"  # a volume, not 1479321.0
    assert plain("0.90") == "0.90" and plain("+12.34%") == "+12.34%"  # already written for people: kept
    assert plain(Decimal("0E-10")) == "0"
    assert plain("2026-11-23") == "2026-11-23" and plain("v1.2.3") == "v1.2.3"
    assert plain("qp-3a1d") == "qp-3a1d" and plain(None) == "—" and plain({"fast": 10, "slow": 200}) == (
        "fast=10, slow=200")


def test_json_keeps_every_digit():
    assert output.to_json({"qty": Decimal("2.0000000000")}) == '{\n  "qty": "2.0000000000"\n}'


def test_a_narrow_table_keeps_a_long_id_on_one_line_shortened(monkeypatch):
    narrow = Console(width=40, record=True)
    monkeypatch.setattr(output, "console", narrow)
    order_id = "qp-3a1d818b47fd5dce2607eab3601afa9a"

    output.print_table("orders", ["id", "symbol", "strategy"], [[order_id, "AAPL", "sma_crossover_aapl_msft"]])

    lines = narrow.export_text().splitlines()
    assert any(short_id(order_id) in line for line in lines)
    assert sum(order_id[:6] in line for line in lines) == 1 and order_id not in "".join(lines)


def test_fields_print_records_one_per_line_with_readable_times_and_numbers(monkeypatch):
    wide = Console(width=200, record=True)
    monkeypatch.setattr(output, "console", wide)

    output.print_fields({"qty": "2.0000000000", "evidence": {"oos_sharpe": 0.9259366628820438, "trades": 63},
                         "events": [{"ts": datetime(2026, 11, 23, 17, 44, 48, 196846, tzinfo=UTC), "to": "filled"},
                                    {"ts": datetime(2026, 11, 23, 17, 44, 49, tzinfo=UTC), "to": "[b]x[/b]"}]})

    assert wide.export_text().splitlines() == [
        "qty: 2", "evidence: oos_sharpe=0.9259, trades=63", "events:",
        "  ts=2026-11-23 17:44:48 UTC, to=filled", "  ts=2026-11-23 17:44:49 UTC, to=[b]x[/b]"]
