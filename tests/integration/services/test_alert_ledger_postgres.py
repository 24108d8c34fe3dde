"""The alert ledger on Postgres: alerts stored whatever sends them, a burst of identical alerts becomes one, a
flood is rate-limited, each one sent reaches the alert channels and the daily summary's count, and sending needs
the trader role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config import Settings
from errors import PermissionDenied
from memory.alerts import AlertStore
from memory.events import EventStore
from quant.monitoring.events import EventKind
from services.alert_ledger import AlertLedger, AlertPolicy, database_alert_ledger
from services.alerts import DeliveryResult
from tests.support.people import DANA, EVE
from tools import ToolContext, all_tools

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


class CountingOutput:
    name = "counting"

    def __init__(self):
        self.sent = []

    def send(self, alert):
        self.sent.append(alert)
        return DeliveryResult(self.name, True, "ok")


class BrokenOutput:
    name = "broken"

    def send(self, alert):
        raise OSError("the webhook host is gone")


def test_a_burst_of_identical_alerts_from_one_turn_is_stored_and_sent_once(database):
    output, clock = CountingOutput(), Clock()
    service = AlertLedger(AlertStore(database), [output], AlertPolicy(), clock)
    outcomes = []
    for _ in range(7):
        outcomes.append(service.send(DANA, "Broker feed is   LATE", "warning", turn_id="turn_a"))
        clock.now += timedelta(minutes=30)  # later than the window: the same turn still makes it a repeat
    assert [o.status for o in outcomes] == ["delivered"] + ["repeat"] * 6
    stored = service.recent(DANA, T0)
    assert len(stored) == 1 and stored[0].repeats == 7
    assert len(output.sent) == 1


def test_the_same_alert_in_a_later_turn_within_the_window_is_a_repeat_after_it_is_new(database):
    clock = Clock()
    service = AlertLedger(AlertStore(database), [], AlertPolicy(dedupe_window=timedelta(minutes=10)), clock)
    first = service.send(DANA, "feed late", "warning", turn_id="t1")
    clock.now += timedelta(minutes=5)
    again = service.send(DANA, "feed late", "warning", turn_id="t2")
    clock.now += timedelta(minutes=20)
    later = service.send(DANA, "feed late", "warning", turn_id="t3")
    assert (first.status, again.status, later.status) == ("stored", "repeat", "stored")
    assert later.alert_id != first.alert_id


def test_past_the_rate_limit_alerts_are_kept_but_sent_nowhere(database):
    output, clock = CountingOutput(), Clock()
    service = AlertLedger(AlertStore(database), [output], AlertPolicy(rate_limit=3, rate_window=timedelta(hours=1)),
                          clock)
    statuses = []
    for i in range(5):
        statuses.append(service.send(DANA, f"different problem {i}", "warning").status)
        clock.now += timedelta(minutes=1)
    assert statuses == ["delivered"] * 3 + ["suppressed"] * 2
    assert len(output.sent) == 3 and len(service.recent(EVE, T0)) == 5
    assert service.counts_since(EVE, T0).count == 3
    clock.now += timedelta(hours=1)
    assert service.send(DANA, "a new hour", "critical").status == "delivered"


def test_a_broken_channel_does_not_keep_the_alert_from_the_others(database):
    output = CountingOutput()
    service = AlertLedger(AlertStore(database), [BrokenOutput(), output], AlertPolicy(), Clock())
    outcome = service.send(DANA, "reconciliation mismatch on AAPL", "critical")
    assert (outcome.status, outcome.outputs) == ("delivered", ("counting",))
    stored = service.recent(DANA, T0)[0]
    assert [(o["channel"], o["delivered"]) for o in stored.outputs] == [("broken", False), ("counting", True)]
    assert len(output.sent) == 1


def test_a_viewer_may_read_alerts_but_not_send_one_and_nothing_is_stored(database):
    service = AlertLedger(AlertStore(database), [CountingOutput()], AlertPolicy(), Clock())
    with pytest.raises(PermissionDenied) as refused:
        service.send(EVE, "let me in", "critical")
    assert refused.value.details["required_role"] == "trader"
    assert service.recent(EVE, T0) == [] and service.counts_since(EVE, T0).count == 0


def test_the_send_alert_tool_stores_the_alert_and_the_daily_summary_counts_it(database):
    clock = Clock()
    ctx = ToolContext(settings=Settings(), database=database, clock=clock, user="dana", role="trader",
                      user_id=DANA.user_id)
    tools = all_tools(ctx)
    first = tools["send_alert"].invoke({"message": "data feed is late", "severity": "critical"})
    second = tools["send_alert"].invoke({"message": "data feed is late", "severity": "critical"})
    summary = tools["generate_daily_summary"].invoke({})
    assert (first["outcome"], second["outcome"], second["repeats"]) == ("delivered", "repeat", 2)
    assert summary["summary"]["alerts"] == {"count": 1, "critical": 1}
    stored = AlertStore(database).since(T0)
    assert [(a.message, a.user_id, a.user_name, a.source) for a in stored] == [
        ("data feed is late", DANA.user_id, "dana", "graph")]
    events = EventStore(database).recent([EventKind.SYSTEM_ALERT], since=T0)
    assert [e.payload.message for e in events] == ["data feed is late"]


def test_the_product_alerts_take_their_limits_from_settings(database):
    settings = Settings(alert_rate_limit=2, alert_rate_window_s=60, alert_dedupe_window_s=0)
    service = database_alert_ledger(database, settings, clock=Clock())
    assert service.policy == AlertPolicy(2, timedelta(seconds=60), timedelta(seconds=0))
