"""Pricing model calls and summing them: the price table from settings and the ledger's arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from config import ModelPrice, ModelProvider, Settings
from errors import ConfigError, PermissionDenied
from memory.model_calls import UsageFilter
from services.model_prices import PriceTable, is_local_server
from services.usage_ledger import ModelCallUsage, UsageLedger, parse_since, visible


def _price(i: str, o: str) -> ModelPrice:
    return ModelPrice(input_usd_per_1m=Decimal(i), output_usd_per_1m=Decimal(o))


def test_cost_is_tokens_times_the_price_per_million():
    table = PriceTable({"m": _price("2.50", "10")})
    # by hand: 2,000 x 2.50 / 1M + 500 x 10 / 1M = 0.005 + 0.005
    assert table.cost("m", 2000, 500).usd == Decimal("0.01")
    assert table.cost("m", 2000, 500).priced


def test_a_model_without_a_price_costs_nothing_and_is_marked_unpriced():
    cost = PriceTable({}).cost("mystery", 10_000, 10_000)
    assert (cost.usd, cost.priced) == (Decimal(0), False)


def test_a_local_model_costs_the_local_price_and_a_configured_price_wins():
    local = Settings(model_provider=ModelProvider.OPENAI, openai_base_url="http://127.0.0.1:8080/v1",
                     model_name="smollm2")
    assert PriceTable.from_settings(local).cost("smollm2", 1000, 1000).usd == Decimal(0)
    assert PriceTable.from_settings(local).cost("smollm2", 1000, 1000).priced
    priced = local.model_copy(update={"model_prices": {"smollm2": _price("1000", "2000")}})
    assert PriceTable.from_settings(priced).cost("smollm2", 1000, 1000).usd == Decimal(3)
    # the built-in list prices stay beside a configured entry
    assert PriceTable.from_settings(priced).cost("gpt-4o-mini", 1_000_000, 0).usd == Decimal("0.15")


def test_a_hosted_server_is_not_local():
    assert is_local_server("http://localhost:11434/v1") and is_local_server("http://[::1]:8000/v1")
    assert not is_local_server("https://api.openai.com/v1") and not is_local_server(None)
    remote = Settings(model_provider=ModelProvider.OPENAI, openai_base_url="https://models.example/v1")
    assert not PriceTable.from_settings(remote).cost("their-model", 10, 10).priced


def test_the_ledger_sums_a_turn_a_thread_a_user_and_a_period():
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    clock = iter([start, start + timedelta(minutes=1), start + timedelta(days=2)])
    ledger = UsageLedger(prices=PriceTable({"m": _price("1", "1")}), clock=lambda: next(clock))
    for turn, thread, user in (("u1", "t1", "dana"), ("u1", "t1", "dana"), ("u2", "t2", "avery")):
        ledger.record(ModelCallUsage("m", "data", 1000, 500, latency_ms=40, turn_id=turn, thread_id=thread,
                                     user_id=user))
    assert ledger.turn("u1").calls == 2 and ledger.turn("u1").input_tokens == 2000
    assert ledger.turn("u1").cost_usd == Decimal("0.003")  # 2 x 1,500 tokens at $1 per 1M
    assert ledger.report(UsageFilter(user_id="avery")).total.calls == 1
    assert ledger.report(UsageFilter(since=start + timedelta(days=1))).total.calls == 1
    assert ledger.report(UsageFilter(thread_id="t1")).total.latency_ms == 80


def test_a_failed_call_is_on_the_ledger_as_failed_with_no_tokens():
    ledger = UsageLedger()
    ledger.record(ModelCallUsage("m", "risk", 0, 0, latency_ms=3000, outcome="model_timeout", turn_id="u"))
    ledger.record(ModelCallUsage("m", "risk", 5, 1, latency_ms=10, outcome="usage_missing", turn_id="u"))
    sums = ledger.turn("u")
    assert (sums.calls, sums.failed_calls, sums.unpriced_calls) == (2, 1, 2)


def test_since_takes_dates_and_spans_and_refuses_anything_else():
    now = datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 1, 24, 12, tzinfo=UTC)
    assert parse_since("2026-01-02", now) == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_since(None, now) is None
    for bad in ("last tuesday", "99999999999d"):
        with pytest.raises(ConfigError):
            parse_since(bad, now)


def test_a_trader_sees_only_their_own_usage_and_an_admin_anyones():
    assert visible(UsageFilter(), user="dana", role="trader").user_id == "dana"
    assert visible(UsageFilter(user_id="bob"), user="avery", role="admin").user_id == "bob"
    with pytest.raises(PermissionDenied):
        visible(UsageFilter(user_id="bob"), user="dana", role="viewer")
