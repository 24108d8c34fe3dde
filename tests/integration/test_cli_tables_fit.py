"""Every CLI table, as a person reads it at 80 and at 120 columns: no line wider than the terminal, no id broken
over two lines (whole or shortened, never folded), and no number with more than four decimals (``--json`` keeps
every digit). "Every" is checked too: a command that prints a table, fields or a research run and is missing
from the list below fails ``test_the_list_holds_every_command_that_prints_a_table``."""

from __future__ import annotations

import inspect
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from quant.display import short_id
from tests.integration.cli_runner import load_synthetic, run_cli, run_cli_json

LONG_FLOAT = re.compile(r"(?<![\w.])-?\d[\d,]*\.\d{5,}(?![\w.])")  # 0.12345, 135622.4348545707
SYMBOLS = "AAA,BBB"


@pytest.fixture(scope="module")
def story(module_database, tmp_path_factory):
    """Data, research runs of every kind, paper orders, approvals, a thread and users — what a table can show,
    made and read by an admin (who may read every table: the audit log and the users too)."""
    from guardrails.policy import Role
    from memory.approvals import ApprovalStore
    from memory.strategies import StrategyRegistry
    from memory.threads import ThreadStore
    from memory.users import UserStore
    from tests.integration.execution.conftest import approve_stage

    env = pytest.MonkeyPatch()
    env.setenv("QUANTPILOT_API_KEY", UserStore(module_database).add("ada", Role.ADMIN).api_key)
    load_synthetic(SYMBOLS, start="2016-01-01", end="2022-12-30")
    runs = {"backtest": run_cli_json("backtest", "run", "--strategy", "sma_crossover", "--symbols", SYMBOLS,
                                     "--commission-per-share", "0.005")["run_id"],
            "grid": run_cli_json("backtest", "grid", "--strategy", "sma_crossover", "--symbols", SYMBOLS,
                                 "--grid", "fast=5:20:5", "--grid", "slow=30:90:30")["run_id"],
            "walkforward": run_cli_json("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS,
                                        "--grid", "fast=5:20:5", "--grid", "slow=30:90:30")["run_id"],
            "optimize": run_cli_json("optimize", "--method", "hrp", "--symbols", SYMBOLS, "--value", "25000")["run_id"]}
    runs["montecarlo"] = run_cli_json("montecarlo", str(runs["backtest"]), "--paths", "300")["run_id"]
    StrategyRegistry(module_database).register("trend", "trend", "sma_crossover", {"fast": 5, "slow": 20})
    approve_stage(module_database, "trend", "paper")
    assert run_cli("paper", "run", "--strategy", "trend", "--symbols", SYMBOLS, "--start", "2022-06-01").exit_code == 0
    now = datetime.now(UTC)
    approval_id = f"apr_{uuid.uuid4().hex}"
    ApprovalStore(module_database).save_request({
        "id": approval_id, "kind": "order", "requester": "tina", "channel": "cli", "thread_id": None,
        "subject": {"order_intent_hash": uuid.uuid4().hex + uuid.uuid4().hex}, "evidence": {"oos_sharpe": 0.87654321},
        "summary": "buy 146 AAA", "created_at": now, "expires_at": now + timedelta(hours=24)})
    thread_id = str(uuid.uuid4())
    ThreadStore(module_database).touch(thread_id, "dana", "backtest an SMA crossover on AAA and BBB since 2016")
    assert run_cli("users", "add", "avery", "--role", "approver").exit_code == 0
    assert run_cli("users", "link-slack", "avery", "U0123ABCDEF").exit_code == 0
    assert run_cli("data", "schedule", "--symbols", SYMBOLS, "--source", "synthetic", "--cron", "30 22 * * 1-5"
                   ).exit_code == 0
    _model_calls(module_database)
    orders = [o["client_order_id"] for o in run_cli_json("orders", "list")]
    assert orders, "the paper run placed no order to list"
    evals = tmp_path_factory.mktemp("evals")
    yield {"runs": runs, "ids": [*orders, approval_id, thread_id], "order": orders[0], "approval": approval_id,
           "thread": thread_id, "evals": (_eval_report(evals / "a.json", 0.5), _eval_report(evals / "b.json", 1.0))}
    env.undo()


def _model_calls(database) -> None:
    """Model calls in the usage ledger, priced to fractions of a cent and timed to odd milliseconds (what
    ``usage`` sums and rounds), one of them unpriced and one failed."""
    from decimal import Decimal

    from config import ModelPrice
    from memory.model_calls import ModelCallStore
    from services.model_prices import PriceTable
    from services.usage_ledger import ModelCallUsage, UsageLedger

    prices = PriceTable({"gpt-4.1-mini-2025-04-14": ModelPrice(input_usd_per_1m=Decimal("0.4"),
                                                                 output_usd_per_1m=Decimal("1.6"))})
    ledger = UsageLedger(ModelCallStore(database), prices)
    for model, tokens, latency_ms, outcome in (("gpt-4.1-mini-2025-04-14", (12_345, 678), 1_234, "ok"),
                                               ("gpt-4.1-mini-2025-04-14", (987, 65), 777, "ok"),
                                               ("qwen2.5-7b-instruct-q4_k_m", (4_321, 123), 60_001, "model_timeout")):
        ledger.record(ModelCallUsage(model, "data", *tokens, latency_ms, outcome=outcome, turn_id="u1",
                                     thread_id="t1", user_name="ada"))


def _eval_report(path, passed: float) -> str:
    """An evaluation report as ``eval run --report`` writes it (``eval compare`` reads two: B improves on A, a
    regression would exit 1)."""
    row = {"id": "smoke-data-fetch", "pass_hat_k": passed, "pass_at_k": 1.0, "passes": 2, "k": 3}
    summary = {"pass_hat_k": passed, "pass_at_k": 1.0, "trial_pass_rate": 0.6666666666666666}
    path.write_text(json.dumps({"reports": [{"suite": "smoke", "scenarios": [row], "summary": summary}]}))
    return str(path)


GRID = ("--grid", "fast=5:20:5", "--grid", "slow=30:90:30")


def commands(story: dict, account: str = "fit") -> list[tuple[str, ...]]:
    """``account``: the paper account ``paper run`` trades in (a fresh one per run: its market only moves forward)."""
    runs = story["runs"]
    return [
        ("config", "show"), ("db", "status"),
        ("data", "list"), ("data", "show", "AAA"), ("data", "quality", "AAA"), ("data", "schedules"),
        ("data", "load", "--source", "synthetic", "--symbols", "CCC", "--start", "2021-01-01"),
        ("strategies", "list"), ("indicators", "list", "--category", "momentum"),
        ("indicators", "show", "AAA", "rsi:length=14", "macd", "--last", "5"),
        ("backtest", "run", "--strategy", "ema_crossover", "--symbols", SYMBOLS, "--capital", "25000",
         "--commission", "1.25", "--commission-per-share", "0.005", "--commission-bps", "1.5", "--slippage-bps", "7"),
        ("backtest", "grid", "--strategy", "ema_crossover", "--symbols", SYMBOLS, "--grid", "fast=5:15:5",
         "--grid", "slow=30:60:30", "--capital", "25000"),
        ("walkforward", "--strategy", "sma_crossover", "--symbols", SYMBOLS, *GRID, "--slippage-bps", "2.5"),
        ("montecarlo", str(runs["walkforward"]), "--paths", "200", "--method", "trades"),
        ("backtest", "compare", str(runs["backtest"]), str(runs["walkforward"]), str(runs["grid"])),
        ("optimize", "--method", "black_litterman", "--symbols", SYMBOLS, "--view", "AAA=0.1@0.6", "--value", "9000"),
        ("runs", "list"), *(("runs", "show", str(run_id)) for run_id in runs.values()),
        ("paper", "run", "--strategy", "trend", "--symbols", SYMBOLS, "--start", "2022-11-01", "--account", account,
         "--capital", "12345.67", "--commission-per-share", "0.0035"),
        ("orders", "list"), ("orders", "show", story["order"]), ("positions",), ("summary",),
        ("approvals", "list"), ("approvals", "show", story["approval"]), ("audit", "list"), ("users", "list"),
        ("users", "slack-links"), ("threads", "list"), ("risk", "status"), ("risk", "limits"),
        ("eval", "compare", *story["evals"]), ("eval", "routing"), ("usage",), ("usage", "--user", "ada"),
    ]


# commands that print a table or a run but are not in the list, and why
NOT_LISTED = {("eval", "run"): "runs the agents through a suite (minutes); its summary table is eval compare's "
                                "printer with the same columns, covered by tests/integration/evals",
              ("research-server", "start"): "starts a process; it prints status's fields, checked at 80 columns "
                                            "while one runs in tests/integration/test_cli_research_server.py",
              ("research-server", "status"): "with a process running (there: started for real), same test file"}
PRINTERS = ("print_table(", "print_fields(", "research_tables.", "say(", "say_parts(")


def _wrapped_ids(lines: list[str], ids: list[str]) -> list[str]:
    """Ids that appear in the output but on no single line whole or shortened: folded over two lines."""
    text = "".join(lines)
    return [i for i in ids if i[:10] in text and not any(i in line or short_id(i) in line for line in lines)]


@pytest.mark.parametrize("width", [80, 120])
def test_every_table_fits_the_terminal_keeps_ids_whole_and_numbers_short(story, width):
    failures, shown = [], ""
    for args in commands(story, account=f"fit-{width}"):
        result = run_cli(*args, width=width)
        assert result.exit_code == 0, f"{' '.join(args)}: {result.stderr}"
        shown += result.stdout
        lines = result.stdout.splitlines()
        too_wide = [line for line in lines if len(line) > width]
        long_numbers = LONG_FLOAT.findall(result.stdout)
        broken = _wrapped_ids(lines, story["ids"])
        if too_wide or long_numbers or broken:
            failures.append((" ".join(args), too_wide[:2], long_numbers[:3], broken))
    assert failures == []
    assert all(i[:10] in shown for i in story["ids"])  # every long id was on some table, whole or shortened


def test_json_keeps_every_digit_the_tables_round(story):
    run = run_cli_json("runs", "show", str(story["runs"]["montecarlo"]))
    final = run["summary"]["final_equity"]["p50"]
    assert isinstance(final, float) and final != round(final, 2)  # the table shows cents, --json all of it


def _command_path(args: tuple[str, ...]) -> tuple[str, ...]:
    """The command words at the start of ``args`` (``("runs", "show")`` of ``("runs", "show", "3")``)."""
    import click
    from typer.main import get_command

    from api.cli import app

    group, path = get_command(app), []
    for word in args:
        found = group.get_command(click.Context(group), word) if hasattr(group, "list_commands") else None
        if found is None:
            break
        path.append(word)
        group = found
    return tuple(path)


def _printing_commands() -> set[tuple[str, ...]]:
    """Every command whose code prints a table, fields or a research run (the top-level aliases of ``orders``
    commands are the same functions)."""
    import click
    from typer.main import get_command

    from api.cli import app

    found: set[tuple[str, ...]] = set()
    seen: set = set()

    def walk(group: click.Command, path: tuple[str, ...]) -> None:
        for name in group.list_commands(click.Context(group)):
            command = group.get_command(click.Context(group), name)
            if hasattr(command, "list_commands"):  # a group (typer's groups are click's MultiCommand)
                walk(command, (*path, name))
            elif command.callback not in seen and any(p in inspect.getsource(command.callback) for p in PRINTERS):
                seen.add(command.callback)
                found.add((*path, name))

    walk(get_command(app), ())
    return found


def test_the_list_holds_every_command_that_prints_a_table():
    listed = {_command_path(args) for args in commands({"runs": {k: 1 for k in ("backtest", "grid", "walkforward")},
                                                        "order": "o", "approval": "a", "evals": ("a", "b")})}
    aliases = {("orders", "positions"): ("positions",), ("orders", "summary"): ("summary",)}
    listed |= {alias for alias, top in aliases.items() if top in listed}
    missing = _printing_commands() - listed - set(NOT_LISTED)
    assert missing == set(), f"add these to commands() so their tables are checked at 80 columns: {missing}"
