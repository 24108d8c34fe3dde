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
    limits_text = cli("risk", "limits").stdout

    assert len(orders) == placed == count(database, "paper_orders")
    assert shown["events"][0]["to"] == "recorded"
    assert reconcile.exit_code == 0 and json.loads(reconcile.stdout)["matched"] is True
    assert killed["trading_state"] == "halted" and status["trading_state"] == "halted"
    assert status_text.exit_code == 0 and "trading state: HALTED (" in status_text.stdout
    assert "→ halted by carol" in status_text.stdout and "datetime" not in status_text.stdout
    assert limits["limits"]["max_drawdown_pct"] == 10.0
    assert limits["pending"] == [] and limits_text.rstrip().endswith("pending changes: none")


def test_positions_show_mark_value_and_pnl_within_80_columns_and_json_keeps_every_digit(database, bars, settings,
                                                                                     paper_strategy, act_as):
    from decimal import Decimal

    from services.execution_path import execution_service
    from tests.integration.cli_runner import run_cli
    from tests.integration.execution.conftest import intent
    from tests.support.people import BOB

    service = execution_service(database, settings)
    service.place(BOB, intent(qty=10))
    service.place(BOB, intent(symbol="BBB", qty=3, key="b"))
    act_as("viewer")

    shown = run_cli("positions")
    data = json.loads(run_cli("positions", "--json").stdout)

    lines = shown.stdout.splitlines()
    day = sorted(bars["ts"].unique())[20]
    assert lines[0] == f"account paper · simulated market at {day:%Y-%m-%d}"
    header = next(i for i, line in enumerate(lines) if line.startswith("symbol"))  # after the account's amounts
    assert lines[header].split() == ["symbol", "shares", "avg", "entry", "mark", "value", "unrealized", "price", "of"]
    assert [line.split()[0] for line in lines[header + 1:]] == ["AAA", "BBB"] and max(map(len, lines)) <= 80
    aaa = data["positions"][0]
    assert Decimal(aaa["value_usd"]) == Decimal(aaa["qty"]) * Decimal(aaa["mark_usd"])
    assert Decimal(aaa["unrealized_pnl_usd"]) == Decimal(aaa["value_usd"]) - Decimal(aaa["qty"]) * Decimal(
        aaa["avg_entry_price"])
    assert len(aaa["unrealized_pnl_usd"].split(".")[1]) > 2  # every digit, not the two a person reads
    assert f"${float(aaa['value_usd']):,.2f}" in lines[header + 1]


def test_risk_status_says_the_account_its_clock_and_the_state(database, bars, act_as):
    from tests.integration.cli_runner import run_cli

    act_as("viewer")
    shown = run_cli("risk", "status", "--account", "swing")

    day = sorted(bars["ts"].unique())[20]
    assert shown.stdout.splitlines()[:3] == ["account: swing", f"clock: simulated market at {day:%Y-%m-%d}",
                                             "trading state: ACTIVE"]


def test_a_bad_account_name_is_one_line_with_exit_code_2(database, act_as):
    from tests.integration.cli_runner import run_cli

    act_as("viewer")
    shown = run_cli("positions", "--account", "Bad Name!")

    assert shown.exit_code == 2 and shown.stdout == ""
    assert "account 'Bad Name!' is not a valid account id" in shown.stderr and "Traceback" not in shown.stderr
