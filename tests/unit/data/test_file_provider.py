"""CSV/Parquet import: mapping, fixed symbol, and errors that name the file line and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from errors import DataError, NotFoundError
from quant.data.providers.files import FileProvider, read_bar_file

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"
GOOD_ROWS = [
    "2024-01-02,10,11,9,10.5,10.4,100\n",
    "2024-01-03,10.5,12,10,11.5,11.4,200\n",
    "2024-01-04,11.5,12,11,11.8,11.7,300\n",
]


def write(tmp_path: Path, rows: list[str], header: str = HEADER, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(rows))
    return path


def test_csv_with_fixed_symbol_and_mapping_reads_adjusted_close(tmp_path):
    path = write(tmp_path, GOOD_ROWS)
    frame = read_bar_file(path, symbol="abc", column_map={"Date": "ts", "Adj Close": "close", "Close": "raw"})
    assert frame["symbol"].unique().tolist() == ["ABC"]
    assert frame["close"].tolist() == [10.4, 11.4, 11.7]
    assert frame["ts"].iloc[0] == pd.Timestamp("2024-01-02", tz="UTC")


def test_descending_file_is_sorted_not_rejected(tmp_path):
    frame = read_bar_file(write(tmp_path, GOOD_ROWS[::-1]), symbol="ABC")
    assert frame["ts"].is_monotonic_increasing and frame["close"].tolist() == [10.5, 11.5, 11.8]


def test_unparsable_number_names_the_file_line_and_column(tmp_path):
    rows = [*GOOD_ROWS[:2], "2024-01-04,11.5,12,11,n/a?,11.7,300\n"]
    with pytest.raises(DataError) as caught:
        read_bar_file(write(tmp_path, rows), symbol="ABC")
    assert "line 4" in str(caught.value) and "'close'" in str(caught.value)
    problem = caught.value.details["problems"][0]
    assert problem == {"line": 4, "column": "close", "value": "n/a?", "rule": "unparsable_number",
                       "detail": "cannot parse as a number"}


def test_unparsable_timestamp_names_the_line_even_after_a_blank_line(tmp_path):
    rows = [GOOD_ROWS[0], "\n", "yesterday,10,11,9,10.5,10.4,100\n"]
    with pytest.raises(DataError) as caught:
        read_bar_file(write(tmp_path, rows), symbol="ABC")
    assert caught.value.details["problems"][0]["line"] == 4
    assert caught.value.details["problems"][0]["rule"] == "unparsable_timestamp"


def test_inconsistent_row_names_line_and_rule(tmp_path):
    rows = [GOOD_ROWS[0], "2024-01-03,10.5,9,12,11.5,11.4,200\n", GOOD_ROWS[2]]  # high 9 < low 12
    with pytest.raises(DataError) as caught:
        read_bar_file(write(tmp_path, rows), symbol="ABC")
    assert "line 3" in str(caught.value) and "high_below_low" in str(caught.value)
    assert caught.value.details["issues"][0]["row"] == 3


def test_duplicate_date_names_the_later_line(tmp_path):
    rows = [*GOOD_ROWS, "2024-01-03,10.5,12,10,11.5,11.4,200\n"]
    with pytest.raises(DataError) as caught:
        read_bar_file(write(tmp_path, rows), symbol="ABC")
    assert {(i["row"], i["rule"]) for i in caught.value.details["issues"]} == {(5, "duplicate_timestamp")}


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, ["2024-01-02,10\n"], header="Day,Price\n")
    with pytest.raises(DataError) as caught:
        read_bar_file(path, symbol="ABC")
    assert caught.value.details["missing"] == ["ts", "close"]
    assert "Day" in str(caught.value)


def test_file_without_symbol_column_asks_for_a_fixed_symbol(tmp_path):
    with pytest.raises(DataError, match="a file of one symbol needs that symbol named") as caught:
        read_bar_file(write(tmp_path, GOOD_ROWS))
    assert "symbol" in caught.value.details["missing"]  # what the CLI turns into "--symbol SYMBOL"


@pytest.mark.parametrize("content", [None, b"PAR1\x00\x01garbage"])
def test_unreadable_file_is_a_data_error(tmp_path, content):
    path = tmp_path / "bars.parquet"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match="cannot read parquet"):
        read_bar_file(path)


def test_parquet_round_trip_with_symbol_column_and_row_numbers(tmp_path):
    frame = pd.DataFrame({
        "ticker": ["A", "A", "B"],
        "timestamp": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-02"]),
        "close": [1.0, -2.0, 3.0],
    })
    frame.to_parquet(tmp_path / "bars.parquet")
    with pytest.raises(DataError) as caught:
        read_bar_file(tmp_path / "bars.parquet")
    assert "row 1" in str(caught.value) and "non_positive_price" in str(caught.value)


def test_provider_filters_symbols_and_dates_and_refuses_unknown_symbols(tmp_path):
    rows = ["A,2024-01-02,1\n", "A,2024-01-03,2\n", "B,2024-01-02,3\n"]
    provider = FileProvider(write(tmp_path, rows, header="symbol,date,close\n"))
    assert provider.name == "csv" and provider.available_symbols() == ["A", "B"]
    frame = provider.fetch(["a"], start=date(2024, 1, 3), end=date(2024, 1, 3))
    assert frame["close"].tolist() == [2.0]
    with pytest.raises(NotFoundError, match="available: A, B"):
        provider.fetch(["C"])
