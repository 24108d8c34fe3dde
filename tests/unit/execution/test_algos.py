from __future__ import annotations

from decimal import Decimal

import pytest

from errors import ConfigError
from quant.execution.algos import twap_slices, vwap_slices
from quant.execution.exactly_once import InMemoryOrderOutbox, submit_exactly_once
from quant.execution.orders import OrderIntent
from quant.execution.simulated import SimulatedBroker

PARENT = OrderIntent(symbol="KO", side="buy", qty=100, strategy_id="s", decision_key="d")


def test_twap_children_sum_to_parent_and_differ_by_at_most_one_share():
    children = twap_slices(PARENT, 7)
    sizes = [c.qty for c in children]
    assert sum(sizes) == 100 and max(sizes) - min(sizes) <= 1 and len(children) == 7


def test_vwap_children_follow_the_volume_profile():
    children = vwap_slices(PARENT, [0.4, 0.1, 0.1, 0.4])
    assert [c.qty for c in children] == [Decimal(40), Decimal(10), Decimal(10), Decimal(40)]


def test_reslicing_gives_the_same_child_ids_so_a_replay_sends_nothing_twice():
    broker, outbox = SimulatedBroker({"KO": 60}), InMemoryOrderOutbox()
    for _ in range(2):
        for child in twap_slices(PARENT, 4):
            submit_exactly_once(child, outbox, broker)
    assert len(broker.placed_client_order_ids) == 4
    assert broker.position_qty("KO") == 100
    assert all(cid.startswith(PARENT.client_order_id) for cid in broker.placed_client_order_ids)


def test_bad_slicing_arguments_are_refused():
    with pytest.raises(ConfigError):
        twap_slices(PARENT, 0)
    with pytest.raises(ConfigError):
        vwap_slices(PARENT, [0, 0])
