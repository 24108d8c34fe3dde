"""The audit chain on the real Postgres: intact chains verify, every kind of tampering is caught.

Tampering tests disable the append-only trigger explicitly, as a superuser could, to prove that
``verify`` catches what the trigger cannot stop.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from errors import ConfigError
from memory.audit import GENESIS_HASH, AuditLog, AuditProblem


class StepClock:
    """A fixed start that advances one second per reading."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _fill(log: AuditLog, n: int) -> None:
    for i in range(1, n + 1):
        log.append("alice", "cli", "order.place", f"order-{i}", {"symbol": "AAPL", "quantity": i, "price": 101.25})


def _tamper(database, *statements: tuple[str, dict]) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        for sql, params in statements:
            conn.execute(text(sql), params)
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def _forged_hash(seq, ts_iso, actor, channel, action, subject, payload, prev_hash) -> str:
    """The documented hash recomputed independently, as a forger who read the docs would."""
    body = json.dumps([seq, ts_iso, actor, channel, action, subject, payload, prev_hash],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(body.encode()).hexdigest()


def test_an_untouched_chain_verifies_and_names_its_head(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 5)

    result = log.verify()

    assert result.ok and result.problem is None and result.first_bad_seq is None
    assert result.rows_checked == 5
    newest = log.recent(1)[0]
    assert (result.head_seq, result.head_hash) == (5, newest.hash)


def test_entries_link_to_their_predecessor_and_hash_the_documented_json(database):
    log = AuditLog(database, clock=StepClock())
    first = log.append("alice", "cli", "kill_switch.on", "trading", {"reason": "drill"})
    second = log.append("bob", "slack", "approval.decide", "apr-1", {"verdict": "approved"})

    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert second.seq == 2 and second.prev_hash == first.hash
    expected = _forged_hash(2, second.ts.isoformat(), "bob", "slack", "approval.decide", "apr-1",
                            {"verdict": "approved"}, first.hash)
    assert second.hash == expected


def test_an_empty_log_verifies(database):
    result = AuditLog(database).verify()
    assert result.ok and result.rows_checked == 0


def test_secrets_are_masked_before_they_are_stored_or_hashed(database):
    log = AuditLog(database)
    entry = log.append("alice", "api", "broker.connect", "alpaca", {
        "api_key": "PKABCDEF123456", "nested": {"access_token": "t0ps3cret", "password": "hunter2"},
        "note": "using sk-proj-abcdefghijklmnop", "idempotency_key": "ord-42", "symbol": "AAPL",
    })

    with database.engine.connect() as conn:
        stored = conn.execute(text("SELECT payload::text FROM audit_log WHERE seq = :s"), {"s": entry.seq}).scalar()
    for secret in ("PKABCDEF123456", "t0ps3cret", "hunter2", "abcdefghijklmnop"):
        assert secret not in stored
    assert entry.payload["idempotency_key"] == "ord-42" and entry.payload["symbol"] == "AAPL"
    assert log.verify().ok


def test_unknown_channel_is_refused_with_its_name(database):
    with pytest.raises(ConfigError, match="telegram"):
        AuditLog(database).append("alice", "telegram", "order.place", "x", {})


def test_a_changed_payload_is_detected_at_its_seq(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 5)
    _tamper(database, ("UPDATE audit_log SET payload = jsonb_set(payload, '{quantity}', '300') WHERE seq = 3", {}))

    result = log.verify()

    assert not result.ok
    assert (result.problem, result.first_bad_seq) == (AuditProblem.CHANGED, 3)


def test_a_row_rewritten_with_a_recomputed_hash_is_detected_by_its_successor(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 4)
    row = log.recent(4)[::-1][1]  # seq 2
    payload = {**row.payload, "quantity": 2000}
    forged = _forged_hash(2, row.ts.isoformat(), row.actor, row.channel, row.action, row.subject, payload,
                          row.prev_hash)
    _tamper(database, ("UPDATE audit_log SET payload = CAST(:p AS jsonb), hash = :h WHERE seq = 2",
                       {"p": json.dumps(payload), "h": forged}))

    result = log.verify()

    assert (result.ok, result.problem, result.first_bad_seq) == (False, AuditProblem.CHANGED, 2)


def test_a_deleted_row_is_detected_as_a_gap(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 5)
    _tamper(database, ("DELETE FROM audit_log WHERE seq = 3", {}))

    result = log.verify()

    assert (result.ok, result.problem, result.first_bad_seq) == (False, AuditProblem.DELETED, 3)


def test_a_deleted_last_row_is_detected_by_the_head_anchor(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 5)
    _tamper(database, ("DELETE FROM audit_log WHERE seq = 5", {}))

    result = log.verify()

    assert (result.ok, result.problem, result.first_bad_seq) == (False, AuditProblem.DELETED, 5)


def test_a_deleted_row_with_renumbered_successors_is_detected(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 5)
    _tamper(database, ("DELETE FROM audit_log WHERE seq = 3", {}),
            ("UPDATE audit_log SET seq = seq - 1 WHERE seq > 3", {}))

    result = log.verify()

    assert not result.ok
    assert (result.problem, result.first_bad_seq) == (AuditProblem.DELETED, 3)


def test_a_forged_row_appended_past_the_head_is_detected(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 3)
    last = log.recent(1)[0]
    ts = last.ts + timedelta(seconds=5)
    payload = {"symbol": "TSLA", "quantity": 1000}
    forged = _forged_hash(4, ts.isoformat(), "mallory", "api", "order.place", "order-x", payload, last.hash)
    _tamper(database, ("INSERT INTO audit_log (seq, ts, actor, channel, action, subject, payload, prev_hash, hash) "
                       "VALUES (4, :ts, 'mallory', 'api', 'order.place', 'order-x', CAST(:p AS jsonb), :prev, :h)",
                       {"ts": ts, "p": json.dumps(payload), "prev": last.hash, "h": forged}))

    result = log.verify()

    assert (result.ok, result.problem, result.first_bad_seq) == (False, AuditProblem.INSERTED, 4)


def test_a_forged_row_spliced_into_the_middle_is_detected(database):
    log = AuditLog(database, clock=StepClock())
    _fill(log, 5)
    second = log.recent(5)[::-1][1]
    ts = second.ts + timedelta(milliseconds=500)
    payload = {"symbol": "TSLA", "quantity": 1000}
    forged = _forged_hash(3, ts.isoformat(), "mallory", "api", "order.place", "order-x", payload, second.hash)
    _tamper(database,
            ("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3", {}),
            ("UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100", {}),
            ("INSERT INTO audit_log (seq, ts, actor, channel, action, subject, payload, prev_hash, hash) "
             "VALUES (3, :ts, 'mallory', 'api', 'order.place', 'order-x', CAST(:p AS jsonb), :prev, :h)",
             {"ts": ts, "p": json.dumps(payload), "prev": second.hash, "h": forged}))

    result = log.verify()

    assert (result.ok, result.problem, result.first_bad_seq) == (False, AuditProblem.INSERTED, 3)


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
                                       "DELETE FROM audit_log WHERE seq = 1"])
def test_the_database_refuses_to_update_or_delete_audit_rows(database, statement):
    log = AuditLog(database)
    _fill(log, 2)

    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))

    assert log.verify().ok


def test_the_head_anchor_cannot_be_moved_back(database):
    log = AuditLog(database)
    _fill(log, 3)
    with pytest.raises(DBAPIError, match="audit_head may only advance"), database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET seq = 2"))


def test_an_append_in_a_rolled_back_transaction_leaves_no_gap(database):
    log = AuditLog(database, clock=StepClock())
    log.append("alice", "cli", "a", "s", {})
    with pytest.raises(RuntimeError), database.engine.begin() as conn:
        log.append("alice", "cli", "b", "s", {}, connection=conn)
        raise RuntimeError("the order write failed")
    third = log.append("alice", "cli", "c", "s", {})

    assert third.seq == 2
    assert log.verify().ok


def test_concurrent_appends_from_threads_keep_one_valid_chain(database):
    log = AuditLog(database)
    n_threads, per_thread = 4, 25
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(per_thread):
                log.append(f"worker-{worker}", "system", "tick", f"{worker}-{i}", {"i": i})
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    result = log.verify()
    assert errors == []
    assert result.ok and result.rows_checked == n_threads * per_thread
    assert result.head_seq == n_threads * per_thread


@pytest.mark.parametrize("rows_before", [0, 2], ids=["first_append_of_all", "head_row_exists"])
def test_an_append_waits_for_an_open_append_and_then_links_to_it(database, rows_before):
    """The second writer blocks until the first commits (on the head row, or with no head row yet on the
    advisory lock), then reads the head that writer left: one chain, no seq taken twice."""
    log = AuditLog(database)
    for i in range(rows_before):
        log.append("alice", "cli", "before", f"s{i}", {})
    second: list[Any] = []
    with database.engine.begin() as conn:
        first = log.append("alice", "cli", "first", "open", {}, connection=conn)
        writer = threading.Thread(target=lambda: second.append(log.append("bob", "cli", "second", "waits", {})))
        writer.start()
        writer.join(timeout=0.5)
        blocked = writer.is_alive()
    writer.join(timeout=10)

    assert blocked, "the second append did not wait for the open one"
    assert first.seq == rows_before + 1 and second[0].seq == rows_before + 2
    assert second[0].prev_hash == first.hash
    assert log.verify().ok
