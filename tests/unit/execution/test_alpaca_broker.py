"""AlpacaBroker against cassettes authored from Alpaca's documented responses (tests/cassettes/alpaca).

Matching is on method + path + query + body, so a change in what we send fails the test. With
``QUANTPILOT_RECORD=1``, paper keys and network, the cassettes are re-recorded from the paper API.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
import vcr

from errors import ApprovalError, PermanentBrokerError, TemporaryBrokerError
from quant.execution.alpaca import AlpacaBroker, map_status
from quant.execution.broker import BrokerClient, BrokerMode
from quant.execution.exactly_once import InMemoryOrderOutbox, submit_exactly_once
from quant.execution.orders import OrderIntent, OrderStatus

CASSETTES = Path(__file__).parents[2] / "cassettes" / "alpaca"
RECORD = os.environ.get("QUANTPILOT_RECORD") == "1"
TAPE = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode="new_episodes" if RECORD else "none",
               match_on=["method", "path", "query", "body"],
               filter_headers=["APCA-API-KEY-ID", "APCA-API-SECRET-KEY", "Authorization"])
BUY = OrderIntent(symbol="AAPL", side="buy", qty=10, strategy_id="sma", decision_key="2024-01-02T15:00:00Z")
LIMIT = OrderIntent(symbol="AAPL", side="sell", qty=5, strategy_id="sma", decision_key="2024-01-02T15:05:00Z",
                    order_type="limit", limit_price="190.5", time_in_force="gtc")


@pytest.fixture()
def broker() -> AlpacaBroker:
    key = os.environ.get("QUANTPILOT_ALPACA_API_KEY", "test-key") if RECORD else "test-key"
    secret = os.environ.get("QUANTPILOT_ALPACA_SECRET_KEY", "test-secret") if RECORD else "test-secret"
    return AlpacaBroker(key, secret, paper=True, max_attempts=3, backoff_seconds=(0.0, 0.0))


def test_alpaca_broker_is_a_broker_client_in_paper_mode(broker):
    assert isinstance(broker, BrokerClient) and broker.mode is BrokerMode.PAPER


def test_live_mode_is_refused_without_live_enabled_and_an_approval_token():
    with pytest.raises(ApprovalError):
        AlpacaBroker("k", "s", paper=False)
    with pytest.raises(ApprovalError):
        AlpacaBroker("k", "s", paper=False, live_enabled=True)
    assert AlpacaBroker("k", "s", paper=False, live_enabled=True, live_approval_token="ap-live").mode is BrokerMode.LIVE


def test_market_order_is_sent_with_our_client_order_id_and_mapped_back(broker):
    with TAPE.use_cassette("submit_market_order_accepted.yaml") as tape:
        order = broker.place_order(BUY)
    assert tape.play_count == 1
    assert order.status is OrderStatus.ACCEPTED and order.client_order_id == BUY.client_order_id
    assert order.broker_order_id == "61e69015-8549-4bfd-b9c3-01e75843f47d" and order.filled_qty == 0


def test_limit_order_body_carries_limit_price_and_time_in_force(broker):
    with TAPE.use_cassette("submit_limit_order_new.yaml") as tape:
        order = broker.place_order(LIMIT)
    assert tape.play_count == 1 and order.status is OrderStatus.ACCEPTED


def test_rate_limit_is_retried_and_then_succeeds(broker):
    with TAPE.use_cassette("submit_rate_limited_then_accepted.yaml") as tape:
        order = broker.place_order(BUY)
    assert tape.play_count == 2 and order.status is OrderStatus.ACCEPTED


def test_server_errors_are_temporary_and_stop_after_the_retry_budget(broker):
    with TAPE.use_cassette("submit_server_errors_exhaust_retries.yaml") as tape, \
            pytest.raises(TemporaryBrokerError) as err:
        broker.place_order(BUY)
    assert tape.play_count == 3 and err.value.details["status_code"] == 503


def test_insufficient_buying_power_is_permanent_and_not_retried(broker):
    with TAPE.use_cassette("submit_insufficient_buying_power.yaml") as tape, \
            pytest.raises(PermanentBrokerError) as err:
        broker.place_order(BUY)
    assert tape.play_count == 1 and err.value.details["status_code"] == 403


def test_duplicate_client_order_id_returns_the_existing_order_instead_of_a_second(broker):
    with TAPE.use_cassette("submit_duplicate_client_order_id_finds_existing.yaml") as tape:
        order = broker.place_order(BUY)
    assert tape.play_count == 2
    assert order.status is OrderStatus.FILLED and order.avg_fill_price == Decimal("187.32")


def test_lookup_by_client_order_id_maps_partial_fills_and_unknown_ids(broker):
    with TAPE.use_cassette("lookup_by_client_order_id_partially_filled.yaml"):
        order = broker.get_order_by_client_id(BUY.client_order_id)
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.filled_qty == Decimal(4)
    with TAPE.use_cassette("lookup_unknown_client_order_id.yaml"):
        assert broker.get_order_by_client_id(BUY.client_order_id) is None


def test_exactly_once_over_alpaca_recovers_a_lost_order_by_lookup(broker):
    outbox = InMemoryOrderOutbox()
    with TAPE.use_cassette("submit_duplicate_client_order_id_finds_existing.yaml"):
        order = submit_exactly_once(BUY, outbox, broker)
    assert order.status is OrderStatus.FILLED
    assert submit_exactly_once(BUY, outbox, broker) == order  # replay: no HTTP at all (no cassette open)


def test_account_and_positions_are_decimals(broker):
    with TAPE.use_cassette("account_and_positions.yaml"):
        account = broker.get_account()
        positions = broker.get_positions()
    assert account.cash_usd == Decimal("10000.5") and account.equity_usd == Decimal("10600.5")
    assert [(p.symbol, p.qty, p.avg_entry_price) for p in positions] == [("AAPL", Decimal(5), Decimal(100))]


@pytest.mark.parametrize(("alpaca", "ours"), [("pending_new", OrderStatus.SUBMITTED), ("new", OrderStatus.ACCEPTED),
                                              ("done_for_day", OrderStatus.ACCEPTED),
                                              ("replaced", OrderStatus.CANCELED), ("suspended", OrderStatus.REJECTED),
                                              ("expired", OrderStatus.EXPIRED), ("filled", OrderStatus.FILLED)])
def test_alpaca_statuses_map_to_ours(alpaca, ours):
    assert map_status(alpaca) is ours


@pytest.mark.skipif(RECORD, reason="only meaningful on playback")
def test_a_changed_order_body_does_not_match_the_recorded_request(broker):
    from vcr.errors import CannotOverwriteExistingCassetteException

    other = OrderIntent(symbol="AAPL", side="buy", qty=11, strategy_id="sma", decision_key="2024-01-02T15:00:00Z",
                        client_order_id=BUY.client_order_id)
    with TAPE.use_cassette("submit_market_order_accepted.yaml"), \
            pytest.raises(CannotOverwriteExistingCassetteException):
        broker.place_order(other)
