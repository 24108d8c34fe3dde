"""``quantpilot audit verify``: exit 0 on an intact chain, exit 2 naming the first bad seq otherwise."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from api.commands import audit_cmd
from memory.audit import AuditLog


def _run(*args: str):
    return CliRunner().invoke(audit_cmd.app, list(args))


def test_verify_exits_zero_on_an_intact_chain(database, act_as):
    act_as("admin")
    log = AuditLog(database)
    for i in range(3):
        log.append("alice", "cli", "order.place", f"o-{i}", {"i": i})

    result = _run("verify", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["rows_checked"] == 3 and data["head_seq"] == 3


def test_verify_exits_two_and_names_the_first_bad_seq(database, act_as):
    act_as("admin")
    log = AuditLog(database)
    for i in range(4):
        log.append("alice", "cli", "order.place", f"o-{i}", {"i": i})
    with database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))

    result = _run("verify")

    assert result.exit_code == 2
    [line] = [ln for ln in result.output.splitlines() if ln.strip()]
    assert "seq 2" in line and "changed" in line


def test_list_shows_the_newest_entries_first(database, act_as):
    act_as("admin")
    log = AuditLog(database)
    for i in range(3):
        log.append("alice", "cli", "order.place", f"o-{i}", {"api_key": "PK-SHOULD-NOT-SHOW"})

    result = _run("list", "--json", "-n", "2")

    assert result.exit_code == 0
    entries = json.loads(result.output)
    assert [e["seq"] for e in entries] == [3, 2]
    assert "PK-SHOULD-NOT-SHOW" not in result.output
