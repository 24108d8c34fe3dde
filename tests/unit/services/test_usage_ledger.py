"""Pricing model calls and summing them: the price table from settings, the ledger's arithmetic, and whose usage
each person may read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from config import ModelPrice, ModelProvider, Settings
from errors import ConfigError, PermissionDenied
from guardrails.policy import Actor
from memory.model_calls import UsageFilter
from services.model_prices import PriceTable, is_local_server
from services.usage_ledger import ModelCallUsage, UsageLedger, parse_since
from tests.support.people import ADA, ALICE, DANA, EVE


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
    for turn, thread, user in (("u1", "t1", DANA), ("u1", "t1", DANA), ("u2", "t2", ALICE)):
        ledger.record(ModelCallUsage("m", "data", 1000, 500, latency_ms=40, turn_id=turn, thread_id=thread,
                                     user_id=user.user_id, user_name=user.name))
    assert ledger.turn("u1").calls == 2 and ledger.turn("u1").input_tokens == 2000
    assert ledger.turn("u1").cost_usd == Decimal("0.003")  # 2 x 1,500 tokens at $1 per 1M
    assert ledger.report(ADA, user="alice").total.calls == 1
    assert ledger.report(ADA, since=start + timedelta(days=1)).total.calls == 1
    assert ledger.report(ADA, thread_id="t1").total.latency_ms == 80
    assert ledger.store.sums(UsageFilter(user_id=DANA.user_id)).calls == 2


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


def _calls_by(*people: Actor) -> UsageLedger:
    ledger = UsageLedger()
    for who in people:
        ledger.record(ModelCallUsage("m", "data", 100, 10, latency_ms=5, turn_id=f"turn-{who.name}",
                                     thread_id="shared", user_id=who.user_id, user_name=who.name))
    return ledger


def test_everyone_sees_their_own_usage_and_only_an_admin_sees_anyones():
    local = Actor.local_reader()
    ledger = _calls_by(DANA, EVE, ALICE, local)
    own = ledger.report(DANA)
    assert (own.user, own.total.calls, own.total.input_tokens) == ("dana", 1, 100)
    assert ledger.report(DANA, user="dana").total.calls == 1  # naming oneself is still one's own
    assert ledger.report(ALICE, thread_id="shared").total.calls == 1  # an approver sees only their own too
    assert ledger.report(local).total.calls == 1  # the keyless local reader: the calls of no stored user
    everyone = ledger.report(ADA)
    assert (everyone.user, everyone.total.calls) == (None, 4)
    assert ledger.report(ADA, user="eve").total.calls == 1


@pytest.mark.parametrize("reader", [EVE, DANA, ALICE], ids=lambda a: a.role.value)
def test_reading_someone_elses_usage_needs_the_admin_role(reader):
    ledger = _calls_by(DANA, EVE)
    with pytest.raises(PermissionDenied) as refused:
        ledger.report(reader, user="somebody-else")
    assert refused.value.details == {"operation": "read_all_usage", "required_role": "admin",
                                     "role": reader.role.value, "user": reader.name}


def test_a_thread_named_by_its_owner_is_found_by_its_key():
    class Threads:
        def find(self, owner_id, thread_id):
            return type("Owned", (), {"key": "t00ff"})() if (owner_id, thread_id) == (DANA.user_id, "mine") else None

    ledger = UsageLedger(threads=Threads())
    ledger.record(ModelCallUsage("m", "data", 7, 1, latency_ms=5, thread_id="t00ff", user_id=DANA.user_id,
                                 user_name="dana"))
    report = ledger.report(DANA, thread_id="mine")
    assert (report.thread_id, report.total.input_tokens) == ("mine", 7)
    assert ledger.report(ADA, thread_id="mine").total.calls == 0  # not ada's thread, and no key by that name
