"""The risk / orders / paper command groups, run in-process on the test database (``--json`` outputs)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from tests.integration.execution.conftest import count


@pytest.fixture()
def cli():
    from api.commands import orders_cmd, paper_cmd, risk_cmd

    root = typer.Typer()
    root.add_typer(risk_cmd.app, name="risk")
    root.add_typer(orders_cmd.app, name="orders")
    root.add_typer(paper_cmd.app, name="paper")
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(root, list(args))
    return run


def test_risk_check_rejects_a_negative_quantity_with_exit_code_2(cli, database, bars):
    result = cli("risk", "check", "--symbol", "AAA", "--qty", "-5", "--side", "buy", "--json")

    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["approved"] is False and data["codes"] == ["INVALID_ORDER"]
    assert data["details"]["INVALID_ORDER"]["field"] == "qty"


def test_paper_run_then_orders_positions_and_kill_switch_from_the_cli(cli, database, bars, paper_strategy, act_as):
    act_as("approver", name="carol")
    days = sorted(bars["ts"].unique())
    run = cli("paper", "run", "--strategy", paper_strategy, "--symbols", "AAA,BBB", "--start",
              str(days[25].date()), "--end", str(days[-1].date()), "--json")
    assert run.exit_code == 0, run.output
    placed = sum(json.loads(run.stdout)["orders"].values())

    orders = json.loads(cli("orders", "list", "--json").stdout)
    shown = json.loads(cli("orders", "show", orders[0]["client_order_id"], "--json").stdout)
    reconcile = cli("orders", "reconcile", "--json")
    killed = json.loads(cli("orders", "kill-switch", "on", "--json").stdout)
    status = json.loads(cli("risk", "status", "--json").stdout)
    status_text = cli("risk", "status")
    limits = json.loads(cli("risk", "limits", "--json").stdout)

    assert len(orders) == placed == count(database, "paper_orders")
    assert shown["events"][0]["to"] == "recorded"
    assert reconcile.exit_code == 0 and json.loads(reconcile.stdout)["matched"] is True
    assert killed["trading_state"] == "halted" and status["trading_state"] == "halted"
    assert status_text.exit_code == 0 and "trading state: HALTED (" in status_text.stdout
    assert "→ halted by carol" in status_text.stdout and "datetime" not in status_text.stdout
    assert limits["limits"]["max_drawdown_pct"] == 10.0
