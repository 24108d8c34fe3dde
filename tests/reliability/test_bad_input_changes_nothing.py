"""Bad input at the API and in data files: each is a clear 4xx or a named error, and every table's digest
(rows md5'd in primary-key order) is the same after as before."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.integration.api.conftest import auth, keys, loaded, make_settings  # noqa: F401
from tests.reliability.table_digest import changed_tables, table_digests
from tests.support.people import SYSTEM


@pytest.fixture()
def client(database):
    from api.app import create_app
    from memory.checkpoint import postgres_checkpointer

    postgres_checkpointer(database)  # the graph's tables exist before the first digest, as in a running app

    app = create_app(make_settings(max_body_bytes=64 * 1024), database=database)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


JSON = {"Content-Type": "application/json"}
CASES = [  # (id, role or None, method, path, raw body, extra headers, expected status)
    ("oversize_body", "trader", "POST", "/api/v1/orders", b'{"symbol": "' + b"A" * 200_000 + b'"}', JSON, 413),
    ("malformed_json", "trader", "POST", "/api/v1/orders", b'{"symbol": "AAPL", "qty": ', JSON, 422),
    ("wrong_type_qty", "trader", "POST", "/api/v1/orders",
     b'{"symbol": "AAPL", "side": "buy", "qty": "lots", "strategy_id": "s"}', JSON, 422),
    ("unknown_field", "trader", "POST", "/api/v1/data/load", b'{"source": "bundled", "surprise": 1}', JSON, 422),
    ("unknown_source", "trader", "POST", "/api/v1/data/load", b'{"source": "ftp"}', JSON, 422),
    ("unknown_approval", "approver", "POST", "/api/v1/approvals/apr_does_not_exist/approve", b"{}", JSON, 404),
    ("unknown_order", "trader", "POST", "/api/v1/orders/ord_nope/cancel", b"", {}, 404),
    ("empty_message", "trader", "POST", "/api/v1/threads/thr_any/runs", b'{"message": ""}', JSON, 422),
    ("no_api_key", None, "POST", "/api/v1/data/load", b'{"source": "synthetic"}', JSON, 401),
    ("bad_api_key", "forged", "POST", "/api/v1/data/load", b'{"source": "synthetic"}', JSON, 401),
    ("viewer_places_order", "viewer", "POST", "/api/v1/orders",
     b'{"symbol": "AAPL", "side": "buy", "qty": 1, "strategy_id": "s", "decision_key": "k"}', JSON, 403),
    ("viewer_loads_data", "viewer", "POST", "/api/v1/data/load", b'{"source": "synthetic"}', JSON, 403),
    ("unknown_symbol_bars", "viewer", "GET", "/api/v1/data/bars/ZZZZ", b"", {}, 404),
    ("dates_reversed", "viewer", "GET", "/api/v1/data/bars/AAPL?start=2024-03-01&end=2024-01-01", b"", {}, 400),
    ("date_not_a_date", "viewer", "GET", "/api/v1/data/bars/AAPL?start=2024-13-45", b"", {}, 422),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_api_request_is_a_clear_4xx_and_changes_no_table(database, loaded, keys, client, case):  # noqa: F811
    from guardrails.policy import Role

    _, role, method, path, body, headers, status = case
    who = {} if role is None else auth("qp_000000000000_forged" if role == "forged" else keys[Role(role)])
    before = table_digests(database)

    answer = client.request(method, path, content=body, headers={**headers, **who})

    assert answer.status_code == status, answer.text[:500]
    assert "error" in answer.json() or "detail" in answer.json()
    assert "Traceback" not in answer.text
    assert changed_tables(before, table_digests(database)) == []


def _bars(n: int = 30) -> pd.DataFrame:
    days = pd.bdate_range("2024-01-02", periods=n)
    close = 100 + np.arange(n, dtype=float)
    return pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "open": close, "high": close + 1, "low": close - 1,
                         "close": close, "volume": 1_000_000})


def _nan_close(f: pd.DataFrame) -> pd.DataFrame:
    f.loc[5, "close"] = np.nan
    return f


def _inverted(f: pd.DataFrame) -> pd.DataFrame:
    f.loc[7, ["high", "low"]] = f.loc[7, ["low", "high"]].to_numpy()
    return f


def _negative_volume(f: pd.DataFrame) -> pd.DataFrame:
    f.loc[3, "volume"] = -5
    return f


FILE_CASES = {
    "csv_not_csv": ("csv", lambda p: p.write_bytes(b"\x00\x01\x02garbage\xff\xfe")),
    "csv_missing_columns": ("csv", lambda p: p.write_text("date,price\n2024-01-02,1\n")),
    "csv_nan_close": ("csv", lambda p: _nan_close(_bars()).to_csv(p, index=False)),
    "csv_inverted_ohlc": ("csv", lambda p: _inverted(_bars()).to_csv(p, index=False)),
    "csv_negative_volume": ("csv", lambda p: _negative_volume(_bars()).to_csv(p, index=False)),
    "parquet_truncated": ("parquet", lambda p: p.write_bytes(b"PAR1\x00\x00\x00garbage")),
    "parquet_inverted_ohlc": ("parquet", lambda p: _inverted(_bars()).to_parquet(p, index=False)),
}


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_corrupt_or_invalid_bar_file_is_refused_and_changes_no_table(database, loaded, tmp_path, name):  # noqa: F811
    from errors import QuantpilotError
    from services.market_data import MarketDataService

    source, write = FILE_CASES[name]
    path = tmp_path / f"bars.{source}"
    write(path)
    before = table_digests(database)

    with pytest.raises(QuantpilotError) as refused:
        MarketDataService(database, actor=SYSTEM).load(source, path=path, symbol="TEST")

    assert str(refused.value), "the error says what is wrong"
    assert changed_tables(before, table_digests(database)) == []


@pytest.mark.parametrize("symbols, start, end", [
    (["NOSUCHSYMBOL"], None, None),
    (["AAPL"], date(2024, 3, 1), date(2024, 1, 1)),
    (["AAPL"], date(1850, 1, 1), date(1850, 2, 1)),
], ids=["unknown_symbol", "start_after_end", "dates_before_any_data"])
def test_bad_symbol_or_date_range_is_refused_and_changes_no_table(database, loaded, symbols, start, end):  # noqa: F811
    from errors import QuantpilotError
    from services.market_data import MarketDataService

    before = table_digests(database)

    with pytest.raises(QuantpilotError):
        MarketDataService(database, actor=SYSTEM).load("bundled", symbols, start, end)

    assert changed_tables(before, table_digests(database)) == []


def test_digest_sees_the_change_a_valid_request_makes(database, keys, client):  # noqa: F811
    from guardrails.policy import Role

    before = table_digests(database)

    answer = client.post("/api/v1/data/load", json={"source": "synthetic", "symbols": ["AAPL"],
                                                    "start": "2024-01-02", "end": "2024-02-28"},
                         headers=auth(keys[Role.TRADER]))

    assert answer.status_code == 200, answer.text[:500]
    assert "public.bars" in changed_tables(before, table_digests(database))
