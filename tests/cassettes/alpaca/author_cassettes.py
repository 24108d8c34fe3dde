"""Writes the Alpaca cassettes from Alpaca's documented REST responses (no network, no keys).

Run ``.venv/bin/python tests/cassettes/alpaca/author_cassettes.py`` after changing an interaction. With
real paper keys and network, ``QUANTPILOT_RECORD=1`` in the tests re-records them from the live paper API.
Request bodies are the JSON alpaca-py sends for our ``OrderIntent`` (built by the same code path).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from quant.execution.alpaca import _request
from quant.execution.orders import OrderIntent

HERE = Path(__file__).parent
BASE = "https://paper-api.alpaca.markets/v2"
BUY = OrderIntent(symbol="AAPL", side="buy", qty=10, strategy_id="sma", decision_key="2024-01-02T15:00:00Z")
LIMIT = OrderIntent(symbol="AAPL", side="sell", qty=5, strategy_id="sma", decision_key="2024-01-02T15:05:00Z",
                    order_type="limit", limit_price="190.5", time_in_force="gtc")


def order_json(intent: OrderIntent, status: str, filled_qty: str = "0", avg: str | None = None) -> dict:
    """The order object of Alpaca's docs (GET/POST /v2/orders), for ``intent``."""
    return {"id": "61e69015-8549-4bfd-b9c3-01e75843f47d", "client_order_id": intent.client_order_id,
            "created_at": "2024-01-02T15:00:01.942282Z", "updated_at": "2024-01-02T15:00:01.942282Z",
            "submitted_at": "2024-01-02T15:00:01.940672Z", "filled_at": None, "expired_at": None,
            "canceled_at": None, "failed_at": None, "replaced_at": None, "replaced_by": None, "replaces": None,
            "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": intent.symbol,
            "asset_class": "us_equity", "notional": None, "qty": format(intent.qty, "f"),
            "filled_qty": filled_qty, "filled_avg_price": avg, "order_class": "",
            "order_type": intent.order_type.value, "type": intent.order_type.value, "side": intent.side.value,
            "time_in_force": intent.time_in_force.value,
            "limit_price": None if intent.limit_price is None else format(intent.limit_price, "f"),
            "stop_price": None, "status": status, "extended_hours": False, "legs": None,
            "trail_percent": None, "trail_price": None, "hwm": None}


def request(method: str, path: str, body: dict | None = None) -> dict:
    headers = {"Content-Type": ["application/json"]} if body is not None else {}
    return {"body": None if body is None else json.dumps(body), "headers": headers, "method": method,
            "uri": f"{BASE}{path}"}


def response(code: int, payload: object, message: str = "OK") -> dict:
    return {"body": {"string": json.dumps(payload)}, "headers": {"Content-Type": ["application/json"]},
            "status": {"code": code, "message": message}}


def post_order(intent: OrderIntent) -> dict:
    return request("POST", "/orders", _request(intent).to_request_fields())


def by_client_id(intent: OrderIntent) -> dict:
    return request("GET", f"/orders:by_client_order_id?client_order_id={intent.client_order_id}")


def error(code: int, alpaca_code: int, message: str, reason: str) -> dict:
    return response(code, {"code": alpaca_code, "message": message}, reason)


CASSETTES = {
    "submit_market_order_accepted": [(post_order(BUY), response(200, order_json(BUY, "accepted")))],
    "submit_limit_order_new": [(post_order(LIMIT), response(200, order_json(LIMIT, "new")))],
    "submit_rate_limited_then_accepted": [
        (post_order(BUY), error(429, 42910000, "rate limit exceeded", "Too Many Requests")),
        (post_order(BUY), response(200, order_json(BUY, "accepted")))],
    "submit_server_errors_exhaust_retries": [
        (post_order(BUY), error(503, 50300000, "service unavailable", "Service Unavailable"))] * 3,
    "submit_insufficient_buying_power": [
        (post_order(BUY), error(403, 40310000, "insufficient buying power", "Forbidden"))],
    "submit_duplicate_client_order_id_finds_existing": [
        (post_order(BUY), error(422, 40010001, "client_order_id must be unique", "Unprocessable Entity")),
        (by_client_id(BUY), response(200, order_json(BUY, "filled", "10", "187.32")))],
    "lookup_by_client_order_id_partially_filled": [
        (by_client_id(BUY), response(200, order_json(BUY, "partially_filled", "4", "187.3")))],
    "lookup_unknown_client_order_id": [
        (by_client_id(BUY), error(404, 40410000, "order not found", "Not Found"))],
    "account_and_positions": [
        (request("GET", "/account"), response(200, {
            "id": "e6fe16f3-64a4-4921-8928-cadf02f92f98", "account_number": "010203ABCD", "status": "ACTIVE",
            "currency": "USD", "cash": "10000.5", "portfolio_value": "10600.5", "pattern_day_trader": False,
            "trade_suspended_by_user": False, "trading_blocked": False, "transfers_blocked": False,
            "account_blocked": False, "created_at": "2019-06-12T22:47:07.99658Z", "shorting_enabled": True,
            "long_market_value": "600", "short_market_value": "0", "equity": "10600.5", "last_equity": "10500",
            "multiplier": "2", "buying_power": "21201", "initial_margin": "300", "maintenance_margin": "180",
            "sma": "0", "daytrade_count": 0, "last_maintenance_margin": "180",
            "daytrading_buying_power": "0", "regt_buying_power": "21201"})),
        (request("GET", "/positions"), response(200, [{
            "asset_id": "904837e3-3b76-47ec-b432-046db621571b", "symbol": "AAPL", "exchange": "NASDAQ",
            "asset_class": "us_equity", "avg_entry_price": "100.0", "qty": "5", "qty_available": "5",
            "side": "long", "market_value": "600.0", "cost_basis": "500.0", "unrealized_pl": "100.0",
            "unrealized_plpc": "0.20", "unrealized_intraday_pl": "10.0", "unrealized_intraday_plpc": "0.0084",
            "current_price": "120.0", "lastday_price": "119.0", "change_today": "0.0084"}]))],
}


def main() -> None:
    for name, pairs in CASSETTES.items():
        data = {"interactions": [{"request": q, "response": r} for q, r in pairs], "version": 1}
        (HERE / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


if __name__ == "__main__":
    main()
