"""The usage ledger on Postgres: rows per call, sums by turn, thread, user, period and model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from config import ModelPrice
from memory.model_calls import ModelCallStore, UsageFilter
from services.model_prices import PriceTable
from services.usage_ledger import ModelCallUsage, UsageLedger
from tests.support.people import ADA, ALICE, DANA


def test_model_calls_are_stored_and_summed_by_turn_thread_user_period_and_model(database):
    now = [datetime(2026, 3, 2, 9, tzinfo=UTC)]
    prices = PriceTable({"big": ModelPrice(input_usd_per_1m=Decimal("2.5"), output_usd_per_1m=Decimal(10))})
    ledger = UsageLedger(ModelCallStore(database), prices, clock=lambda: now[0])
    for model, tokens, latency_ms in (("big", (4000, 1000), 120), ("small", (900, 100), 30)):
        ledger.record(ModelCallUsage(model, "data", *tokens, latency_ms, turn_id="u1", thread_id="t1",
                                     user_id=DANA.user_id, user_name="dana"))
    now[0] += timedelta(days=3)
    ledger.record(ModelCallUsage("big", "risk", 0, 0, 60_000, outcome="model_timeout", turn_id="u2",
                                 thread_id="t2", user_id=ALICE.user_id, user_name="alice"))

    turn = ledger.turn("u1")
    assert (turn.calls, turn.input_tokens, turn.output_tokens) == (2, 4900, 1100)
    assert turn.cost_usd == Decimal("0.02")  # 4,000 x 2.5/1M + 1,000 x 10/1M; "small" has no price
    assert turn.unpriced_calls == 1
    report = ledger.report(ADA, since=datetime(2026, 3, 4, tzinfo=UTC))
    assert (report.total.calls, report.total.failed_calls) == (1, 1)
    assert ledger.report(ALICE).total.failed_calls == 1 and ledger.report(ADA, user="alice").total.calls == 1
    by_model = {s.model: s for s in ledger.report(DANA).by_model}
    assert sorted(by_model) == ["big", "small"] and by_model["big"].latency_ms == 120
    assert ModelCallStore(database).recent(UsageFilter(thread_id="t2"))[0].outcome == "model_timeout"
