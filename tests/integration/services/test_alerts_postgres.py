"""Alerts on Postgres: stored whatever sends them, a burst of identical alerts becomes one, a flood is
rate-limited, and each one sent reaches the configured outputs and the daily summary's count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config import Settings
from memory.alerts import AlertStore
from memory.events import EventStore
from quant.monitoring.alerts import DeliveryResult
from quant.monitoring.events import EventKind
from services.alerts import AlertPolicy, AlertService, database_alerts
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


def test_a_burst_of_identical_alerts_from_one_turn_is_stored_and_sent_once(database):
    output, clock = CountingOutput(), Clock()
    service = AlertService(AlertStore(database), [output], AlertPolicy(), clock)
    outcomes = []
    for _ in range(7):
        outcomes.append(service.send("Broker feed is   LATE", "warning", turn_id="turn_a"))
        clock.now += timedelta(minutes=30)  # later than the window: the same turn still makes it a repeat
    assert [o.status for o in outcomes] == ["delivered"] + ["repeat"] * 6
    stored = service.recent(T0)
    assert len(stored) == 1 and stored[0].repeats == 7
    assert len(output.sent) == 1


def test_the_same_alert_in_a_later_turn_within_the_window_is_a_repeat_after_it_is_new(database):
    clock = Clock()
    service = AlertService(AlertStore(database), [], AlertPolicy(dedupe_window=timedelta(minutes=10)), clock)
    first = service.send("feed late", "warning", turn_id="t1")
    clock.now += timedelta(minutes=5)
    again = service.send("feed late", "warning", turn_id="t2")
    clock.now += timedelta(minutes=20)
    later = service.send("feed late", "warning", turn_id="t3")
    assert (first.status, again.status, later.status) == ("stored", "repeat", "stored")
    assert later.alert_id != first.alert_id


def test_past_the_rate_limit_alerts_are_kept_but_sent_nowhere(database):
    output, clock = CountingOutput(), Clock()
    service = AlertService(AlertStore(database), [output], AlertPolicy(rate_limit=3, rate_window=timedelta(hours=1)),
                           clock)
    statuses = []
    for i in range(5):
        statuses.append(service.send(f"different problem {i}", "warning").status)
        clock.now += timedelta(minutes=1)
    assert statuses == ["delivered"] * 3 + ["suppressed"] * 2
    assert len(output.sent) == 3 and len(service.recent(T0)) == 5
    assert service.counts_since(T0).count == 3
    clock.now += timedelta(hours=1)
    assert service.send("a new hour", "critical").status == "delivered"


def test_the_send_alert_tool_stores_the_alert_and_the_daily_summary_counts_it(database):
    clock = Clock()
    ctx = ToolContext(settings=Settings(), database=database, clock=clock, user="dana")
    tools = all_tools(ctx)
    first = tools["send_alert"].invoke({"message": "data feed is late", "severity": "critical"})
    second = tools["send_alert"].invoke({"message": "data feed is late", "severity": "critical"})
    summary = tools["generate_daily_summary"].invoke({})
    assert (first["outcome"], second["outcome"], second["repeats"]) == ("delivered", "repeat", 2)
    assert summary["summary"]["alerts"] == {"count": 1, "critical": 1}
    stored = AlertStore(database).since(T0)
    assert [(a.message, a.user_id, a.source) for a in stored] == [("data feed is late", "dana", "agent")]
    events = EventStore(database).recent([EventKind.SYSTEM_ALERT], since=T0)
    assert [e.payload.message for e in events] == ["data feed is late"]


def test_the_product_alerts_take_their_limits_from_settings(database):
    settings = Settings(alert_rate_limit=2, alert_rate_window_s=60, alert_dedupe_window_s=0)
    service = database_alerts(database, settings, clock=Clock())
    assert service.policy == AlertPolicy(2, timedelta(seconds=60), timedelta(seconds=0))
