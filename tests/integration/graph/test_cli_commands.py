"""The chat, approvals and threads commands on the real database, with scripted agents injected."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.commands import approvals_cmd, threads_cmd
from api.commands.chat_cmd import run_chat
from tests.integration.graph.conftest import PAPER_EVIDENCE
from tests.unit.graph.scripted import agents_with, approval_tool, call, calls_then_answer


def _agents():
    tool = approval_tool("request_promotion", "paper", {"strategy_id": "sma_aapl", "to_stage": "paper"},
                         PAPER_EVIDENCE)
    return agents_with({"strategy": calls_then_answer([call("request_promotion", note="to paper")])},
                       {"strategy": [tool]})


def test_chat_once_json_reports_the_pending_approval_and_approvals_cli_answers_it(database, strategy_at, stores,
                                                                                  capsys):
    _, strategies, _ = stores
    strategy_at("backtested")

    run_chat("promote sma_aapl to paper", None, "alice", True, agents=_agents())
    chat = json.loads(capsys.readouterr().out)

    assert chat["pending_approval"]["kind"] == "paper"
    assert chat["tool_calls"] == [{"name": "request_promotion", "args": {"note": "to paper"}}]
    listed = CliRunner().invoke(approvals_cmd.app, ["list", "--status", "pending", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [a["id"] for a in json.loads(listed.stdout)] == [chat["pending_approval"]["id"]]

    approvals_cmd.decide(chat["pending_approval"]["id"], "approved", "bob", "looks fine", True, agents=_agents())
    decided = json.loads(capsys.readouterr().out)

    assert decided["approval"]["status"] == "applied"
    assert decided["approval"]["decision"]["approver"] == "bob"
    assert strategies.get("sma_aapl").stage == "paper"
    listed_threads = CliRunner().invoke(threads_cmd.app, ["list", "--user", "alice", "--json"])
    assert [t["id"] for t in json.loads(listed_threads.stdout)] == [chat["thread_id"]]
    shown = CliRunner().invoke(threads_cmd.app, ["show", chat["thread_id"], "--json"])
    assert shown.exit_code == 0, shown.output
    transcript = json.loads(shown.stdout)
    assert transcript["user_id"] == "alice" and transcript["title"] == "promote sma_aapl to paper"
    assert transcript["pending_approval"] is None and transcript["messages"][-1]["role"] == "ai"


def test_approvals_show_of_an_unknown_id_fails_with_not_found(database):
    result = CliRunner().invoke(approvals_cmd.app, ["show", "apr_nope", "--json"])
    assert result.exit_code != 0 and result.exception.code == "approval_not_found"


def test_interactive_chat_approves_inline_and_prints_the_answer(database, strategy_at, stores, capsys):
    _, strategies, _ = stores
    strategy_at("backtested")
    answers = iter(["promote sma_aapl to paper", "a", "bob", "exit"])

    run_chat(None, None, "alice", False, agents=_agents(), ask=lambda prompt: next(answers))

    out = capsys.readouterr().out
    assert "Approval needed: Paper trading: move sma_aapl from backtested to paper" in out
    assert "request promotion" in out and "quantpilot approvals approve apr_" in out
    assert strategies.get("sma_aapl").stage == "paper"
    assert "applied" in out


def test_model_and_tool_text_is_printed_as_text_never_as_terminal_markup(database, strategy_at, capsys):
    """A model's answer or a request's summary holding Rich markup (``[link=…]``, ``[bold]``) is shown as typed:
    the terminal never turns untrusted text into a hidden link or styling."""
    strategy_at("backtested")
    markup = "[link=http://evil.example]click[/link] [bold]now[/bold]"
    tool = approval_tool("request_promotion", "paper", {"strategy_id": "sma_aapl", "to_stage": "paper"},
                         PAPER_EVIDENCE)
    agents = agents_with({"strategy": calls_then_answer([call("request_promotion", note=markup)])},
                         {"strategy": [tool]})

    run_chat("promote sma_aapl to paper", None, "alice", False, agents=agents)
    chat_out = capsys.readouterr().out
    pending = json.loads(CliRunner().invoke(approvals_cmd.app, ["list", "--json"]).stdout)[0]["id"]
    shown = CliRunner().invoke(approvals_cmd.app, ["show", pending])

    assert "[link=http://evil.example]click[/link]" in chat_out
    assert shown.exit_code == 0 and "[bold]now[/bold]" in shown.stdout
