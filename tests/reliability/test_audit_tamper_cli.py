"""``quantpilot audit verify`` run as a real CLI process: an intact chain exits 0; a changed, re-hashed,
inserted or deleted row exits 2 and names where the chain breaks."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.reliability.child_process import REPO, child_env


def _verify(admin_key: str) -> tuple[int, dict]:
    """Exit code and the ``--json`` verification printed on stdout, run as an admin (reading the audit log is)."""
    proc = subprocess.run([sys.executable, "-m", "api.cli", "audit", "verify", "--json"], cwd=REPO,
                          env={**child_env(), "QUANTPILOT_API_KEY": admin_key}, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip(), proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def _sql(database, *statements: str, **params) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        for statement in statements:
            conn.execute(text(statement), params)
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


@pytest.fixture()
def admin_key(database) -> str:
    from guardrails.policy import Role
    from memory.users import UserStore

    return UserStore(database).add("auditor", Role.ADMIN).api_key


@pytest.fixture()
def chain(database):
    from memory.audit import AuditLog

    log = AuditLog(database)
    return [log.append("alice", "cli", "order.submitted", f"o-{i}", {"qty": i + 1}) for i in range(4)]


def test_intact_chain_verifies_with_exit_zero(chain, admin_key):
    code, out = _verify(admin_key)

    assert code == 0, out
    assert out["head_seq"] == 4


def test_changed_payload_is_detected_with_exit_two(database, chain, admin_key):
    _sql(database, "UPDATE audit_log SET payload = '{\"qty\": 1000}' WHERE seq = 2")

    code, out = _verify(admin_key)

    assert code == 2
    assert out["first_bad_seq"] == 2


def test_changed_row_with_a_recomputed_hash_breaks_the_next_link(database, chain, admin_key):
    from memory.audit import entry_hash

    row = chain[1]
    forged = entry_hash(row.seq, row.ts, row.actor, row.channel, row.action, row.subject, {"qty": 1000},
                        row.prev_hash)
    _sql(database, "UPDATE audit_log SET payload = '{\"qty\": 1000}', hash = :h WHERE seq = 2", h=forged)

    code, out = _verify(admin_key)

    assert code == 2
    assert out["first_bad_seq"] in (2, 3)  # the re-hashed row or the link after it


def test_inserted_row_with_a_valid_hash_beyond_the_head_is_detected(database, chain, admin_key):
    from memory.audit import entry_hash

    last = chain[-1]
    ts = last.ts + timedelta(seconds=1)
    forged = entry_hash(5, ts, "mallory", "cli", "order.submitted", "o-x", {"qty": 1}, last.hash)
    _sql(database, "INSERT INTO audit_log (seq, ts, actor, channel, action, subject, payload, prev_hash, hash) "
                   "VALUES (5, :ts, 'mallory', 'cli', 'order.submitted', 'o-x', '{\"qty\": 1}', :p, :h)",
         ts=ts, p=last.hash, h=forged)

    code, out = _verify(admin_key)

    assert code == 2
    assert out["first_bad_seq"] == 5


@pytest.mark.parametrize("seq", [2, 4])
def test_deleted_row_is_detected_with_exit_two(database, chain, seq, admin_key):
    _sql(database, "DELETE FROM audit_log WHERE seq = :s", s=seq)

    code, out = _verify(admin_key)

    assert code == 2, out
    assert out["ok"] is False
