"""A Slack approval card writes its evidence as every other interface does (``quant.display``): names and units,
no raw floats or Python reprs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from api.slack.blocks import approval_card
from memory.ladder import ApprovalRecord


def test_the_card_evidence_has_labels_and_units_not_raw_floats():
    now = datetime(2026, 12, 6, tzinfo=UTC)
    record = ApprovalRecord(
        id="apr_1", kind="paper", status="pending", subject={"strategy_id": "sma", "to_stage": "paper"},
        evidence={"oos_sharpe": 0.9259366628820438, "trades": 63, "max_drawdown_pct": 12.456789,
                  "params": {"fast": 10, "slow": 50}},
        summary="promote sma to paper", requester="tina", channel="cli", thread_id=None, created_at=now,
        expires_at=now + timedelta(days=1), outcome=None, closed_at=None, decision=None)

    shown = json.dumps(approval_card(record), ensure_ascii=False)

    assert "out-of-sample Sharpe: 0.93" in shown and "trades: 63" in shown and "max drawdown: 12.46%" in shown
    assert "params: fast=10, slow=50" in shown
    assert "0.9259366628820438" not in shown and "{'fast'" not in shown and '{\\"fast' not in shown
