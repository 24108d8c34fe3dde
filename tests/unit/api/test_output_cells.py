"""CLI tables: decimals as people read them (JSON keeps every digit), and a long id folded, never cut."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console

import api.output as output


def test_table_cells_drop_trailing_zeros_and_show_at_most_four_decimals():
    assert output._cell(Decimal("2.0000000000")) == "2"
    assert output._cell("147.6997123456") == "147.6997"
    assert output._cell("-0.5000") == "-0.5"
    assert output._cell("0E-10") == "0E-10"  # not plain decimal text: left as it is
    assert output._cell(Decimal("0E-10")) == "0"
    assert output._cell("2026-11-23") == "2026-11-23" and output._cell("v1.2.3") == "v1.2.3"
    assert output._cell("qp-3a1d") == "qp-3a1d" and output._cell(None) == "—"


def test_json_keeps_every_digit():
    assert output.to_json({"qty": Decimal("2.0000000000")}) == '{\n  "qty": "2.0000000000"\n}'


def test_a_narrow_table_folds_a_long_id_instead_of_cutting_it(monkeypatch):
    narrow = Console(width=40, record=True)
    monkeypatch.setattr(output, "console", narrow)
    order_id = "qp-3a1d818b47fd5dce2607eab3601afa9a"

    output.print_table("orders", ["id", "symbol", "strategy"], [[order_id, "AAPL", "sma_crossover_aapl_msft"]])

    text = narrow.export_text()
    id_cells = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert "".join(id_cells) == order_id and "…" not in text


def test_fields_print_records_one_per_line_with_readable_times_and_numbers(monkeypatch):
    from datetime import UTC, datetime

    wide = Console(width=200, record=True)
    monkeypatch.setattr(output, "console", wide)

    output.print_fields({"qty": "2.0000000000", "evidence": {"oos_sharpe": 0.9259366628820438, "trades": 63},
                         "events": [{"ts": datetime(2026, 11, 23, 17, 44, 48, 196846, tzinfo=UTC), "to": "filled"},
                                    {"ts": datetime(2026, 11, 23, 17, 44, 49, tzinfo=UTC), "to": "[b]x[/b]"}]})

    assert wide.export_text().splitlines() == [
        "qty: 2", "evidence: oos_sharpe=0.9259, trades=63", "events:",
        "  ts=2026-11-23 17:44:48 UTC, to=filled", "  ts=2026-11-23 17:44:49 UTC, to=[b]x[/b]"]
