"""The data commands as a user runs them: clear one-line errors, exit 2, nothing stored on bad input."""

from __future__ import annotations

import json

import pytest

from tests.integration.cli_runner import run_cli
from tests.support.people import SYSTEM

GOOD_CSV = "Date,Open,High,Low,Close,Volume\n2020-01-02,10,11,9,10.5,100\n2020-01-03,10.5,11,10,10.8,120\n"


@pytest.fixture(autouse=True)
def _signed_in_as_a_trader(act_as):
    """Loading data and recording research runs act as a trader, as on every interface."""
    act_as("trader")


def _stored_symbols() -> list[dict]:
    result = run_cli("data", "list", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_loading_synthetic_data_stores_it_and_lists_it(database):
    result = run_cli("data", "load", "--source", "synthetic", "--symbols", "AAA,BBB", "--start", "2021-01-01",
                     "--end", "2021-06-30", "--json")
    listed = {row["symbol"]: row for row in _stored_symbols()}
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["inserted"] == report["rows"] > 100
    assert set(listed) == {"AAA", "BBB"}
    assert listed["AAA"]["bars"] == report["per_symbol"]["AAA"]


def test_a_csv_with_a_bad_row_is_rejected_naming_the_line_and_rule_and_stores_nothing(database, tmp_path):
    run_cli("data", "load", "--source", "synthetic", "--symbols", "KEEP", "--start", "2021-01-01",
            "--end", "2021-02-01")
    before = _stored_symbols()
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD_CSV + "2020-01-06,10,9,11,10.5,100\n")  # high 9 < low 11 on file line 4
    result = run_cli("data", "load", "--source", "csv", str(bad), "--symbol", "BAD")
    assert result.exit_code == 2
    assert "line 4" in result.stderr and "high_below_low" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert _stored_symbols() == before


def test_a_good_csv_loads_with_a_column_mapping(database, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(GOOD_CSV.replace("Close", "Last"))
    result = run_cli("data", "load", "--source", "csv", str(path), "--symbol", "XYZ", "--map", "Last=close",
                     "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 2
    shown = json.loads(run_cli("data", "show", "XYZ", "--json").stdout)
    assert [bar["close"] for bar in shown["bars"]] == [10.5, 10.8]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("data", "show", "NOPE"), "unknown symbol 'NOPE'"),
        (("data", "load", "--source", "bundled", "--symbols", "AAPL", "--start", "2020-01-01", "--end",
          "2019-01-01"), "after"),
        (("data", "load", "--source", "bundled", "--symbols", "NOTATICKER"), "NOTATICKER"),
        (("data", "load", "--source", "nosuchsource", "--symbols", "AAPL"), "unknown data provider"),
        (("data", "load", "--source", "csv", "/nonexistent/file.csv", "--symbol", "X"), "/nonexistent/file.csv"),
        (("data", "quality", "NOPE"), "unknown symbol"),
        (("data", "load", "--source", "bundled", "--symbols", "AAPL", "--start", "2020-13-45"),
         "start '2020-13-45' is not a date"),
        (("data", "schedule", "--symbols", "AAPL", "--source", "bundled", "--cron", "not a cron"), "cron"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_code_2(database, args, expected):
    before = _stored_symbols()
    result = run_cli(*args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert _stored_symbols() == before


def test_a_file_with_wrong_columns_is_rejected_naming_them(database, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("when,price\n2020-01-02,10\n")
    result = run_cli("data", "load", "--source", "csv", str(path), "--symbol", "X")
    assert result.exit_code == 2
    assert "close" in result.stderr or "ts" in result.stderr


def test_show_as_of_never_prints_a_later_bar(database):
    run_cli("data", "load", "--source", "synthetic", "--symbols", "AAA", "--start", "2021-01-01", "--end",
            "2021-12-31")
    shown = json.loads(run_cli("data", "show", "AAA", "--as-of", "2021-03-31", "--json").stdout)
    assert shown["bars"] and max(bar["ts"] for bar in shown["bars"]) <= "2021-03-31T23:59:59"


def test_quality_report_is_stored_with_each_load(database):
    run_cli("data", "load", "--source", "bundled", "--symbols", "GSPC", "--start", "2008-01-01", "--end",
            "2008-12-31")
    result = run_cli("data", "quality", "GSPC", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert report["n_rows"] == 253 and report["n_errors"] == 0


def test_a_schedule_is_stored_with_its_next_run(database):
    result = run_cli("data", "schedule", "--symbols", "AAPL,MSFT", "--source", "bundled", "--cron",
                     "30 22 * * 1-5", "--json")
    listed = json.loads(run_cli("data", "schedules", "--json").stdout)
    assert result.exit_code == 0, result.stderr
    assert listed[0]["symbols"] == ["AAPL", "MSFT"] and listed[0]["next_run"].endswith("22:30:00+00:00")


def test_a_due_schedule_runs_once_and_records_its_outcome(database):
    from datetime import UTC, datetime, timedelta

    from memory.schedules import ScheduleStore
    from services.schedules import run_due_schedules

    store = ScheduleStore(database)
    created = store.add("AAA", "synthetic", "0 * * * *", now=datetime(2024, 1, 1, tzinfo=UTC))
    with database.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE data_schedules SET created_at = :t"), {"t": datetime.now(UTC) - timedelta(hours=2)})
    first = run_due_schedules(database)
    second = run_due_schedules(database)
    assert [o["schedule_id"] for o in first] == [created["id"]] and first[0]["ok"] is True
    assert second == []  # ran this hour already
    assert store.list()[0]["last_outcome"] == "ok"
    assert "AAA" in {row["symbol"] for row in _stored_symbols()}


def test_a_single_symbol_file_loads_with_symbols_naming_its_one_symbol(database, tmp_path):
    path = tmp_path / "xyz.csv"
    path.write_text(GOOD_CSV)
    result = run_cli("data", "load", "--source", "csv", str(path), "--symbols", "XYZ", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["per_symbol"] == {"XYZ": 2}
    again = run_cli("data", "load", "--source", "csv", str(path), "--symbols", "XYZ")
    assert again.exit_code == 0 and again.stdout.startswith("loaded 1 symbol from csv: XYZ\n")


def test_a_single_symbol_file_without_its_symbol_names_the_flags_that_give_it(database, tmp_path):
    path = tmp_path / "xyz.csv"
    path.write_text(GOOD_CSV)
    result = run_cli("data", "load", "--source", "csv", str(path))
    assert result.exit_code == 2
    assert "--symbol SYMBOL" in result.stderr and "symbol=" not in result.stderr


def test_load_warnings_are_listed_not_only_counted(database, tmp_path):
    path = tmp_path / "gappy.csv"
    path.write_text(GOOD_CSV + "2020-01-06,10.8,30,10.7,29,130\n")  # a 168% jump: a warning, still stored
    result = run_cli("data", "load", "--source", "csv", str(path), "--symbol", "GAP")
    report = json.loads(run_cli("data", "load", "--source", "csv", str(path), "--symbol", "GAP", "--json").stdout)
    assert result.exit_code == 0, result.stderr
    assert report["warnings"] >= 1 and len(report["warning_samples"]) == report["warnings"]
    sample = report["warning_samples"][0]
    assert f"GAP 2020-01-06: {sample['rule']}" in result.stdout and "the bars were stored" in result.stdout


def test_yahoo_loads_take_dates_written_as_text(database):
    """The bug: the raw ``--start`` text reached the provider (exit 1, "unexpected TypeError")."""
    from datetime import UTC, date, datetime

    from quant.data.providers.yfinance_provider import chart_params
    from services.market_data import MarketDataService
    from tests.unit.data.conftest import RecordedChartTransport

    now = datetime(2024, 6, 1, tzinfo=UTC)
    transport = RecordedChartTransport()  # Yahoo's recorded answers: no network
    report = MarketDataService(database, actor=SYSTEM).load("yfinance", "AAPL", "2024-01-02", "2024-01-08",
                                                            provider_options={"transport": transport,
                                                                              "now": lambda: now,
                                                                              "sleep": lambda _: None})
    assert report.rows == 5 and report.per_symbol == {"AAPL": 5}
    assert transport.requests == [("AAPL", chart_params(date(2024, 1, 2), date(2024, 1, 8), now))]
