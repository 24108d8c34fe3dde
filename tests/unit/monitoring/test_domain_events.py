"""Domain events: the seed names, typed payloads checked against the kind, exact JSON round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from errors import ConfigError
from quant.monitoring.events import (
    PAYLOAD_TYPES,
    BreachPayload,
    DomainEvent,
    EventKind,
    FillPayload,
    OrderPayload,
    payload_from_dict,
)

T0 = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
SEED_002_NAMES = ["MarketDataReceived", "PriceUpdate", "VolumeUpdate", "NewsAlert", "OrderCreated", "OrderFilled",
                  "PositionOpened", "PositionClosed", "TradeExecuted", "SignalGenerated", "StrategyActivated",
                  "StrategyDeactivated", "RebalanceTriggered", "RiskThresholdBreached", "PositionLimitExceeded",
                  "PortfolioRiskAlert", "ServiceHealthCheck", "SystemAlert", "MaintenanceMode"]
BRIEF_NAMES = ["OrderSubmitted", "OrderCanceled", "OrderRejected", "StrategyPromoted", "KillSwitchActivated",
               "TradingStateChanged", "ApprovalRequested", "ApprovalDecided", "DataLoaded"]


def test_every_seed_and_brief_event_name_exists_and_has_a_payload_type():
    for name in SEED_002_NAMES + BRIEF_NAMES:
        assert EventKind(name) in PAYLOAD_TYPES


def test_a_payload_of_the_wrong_type_is_refused():
    with pytest.raises(ConfigError, match="OrderFilled needs a FillPayload"):
        DomainEvent(EventKind.ORDER_FILLED, OrderPayload("o-1", "AAPL", "buy", Decimal(5)), ts=T0)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ConfigError, match="unknown event kind"):
        DomainEvent("OrderTeleported", OrderPayload("o-1", "AAPL", "buy", Decimal(5)), ts=T0)


def test_a_naive_timestamp_is_refused():
    with pytest.raises(ConfigError, match="timezone"):
        DomainEvent(EventKind.ORDER_CREATED, OrderPayload("o-1", "AAPL", "buy", Decimal(5)), ts=datetime(2024, 3, 1))


def test_subject_defaults_to_the_payload_identity():
    event = DomainEvent(EventKind.RISK_THRESHOLD_BREACHED, BreachPayload("daily_loss_pct", 3.2, 3.0), ts=T0)
    assert event.subject == "daily_loss_pct"


def test_round_trip_through_a_dict_keeps_decimals_exact():
    event = DomainEvent(EventKind.ORDER_FILLED,
                        FillPayload("o-1", "AAPL", "buy", Decimal("0.1"), Decimal("101.2345"), Decimal("0.01")),
                        source="broker", ts=T0, correlation_id="req-1")
    data = event.to_dict()

    assert data["payload"]["price"] == "101.2345"
    assert DomainEvent.from_dict(data) == event


def test_unknown_payload_fields_are_refused_by_name():
    with pytest.raises(ConfigError, match="qty"):
        payload_from_dict("OrderCreated", {"order_id": "o", "symbol": "A", "side": "buy", "quantity": "1", "qty": 1})
