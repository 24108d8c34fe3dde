"""The chat, approvals and threads commands on the real database, with scripted agents injected."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.commands import approvals_cmd, threads_cmd
from api.commands.chat_cmd import run_chat
from tests.integration.graph.conftest import PAPER_EVIDENCE
from tests.unit.graph.scripted import agents_with, approval_tool, call, calls_then_answer


def _cli_actor(issued):
    from guardrails.policy import Channel
    from services.users import actor_of

    return actor_of(issued.user, Channel.CLI)


def _agents():
    tool = approval_tool("request_promotion", "paper", {"strategy_id": "sma_aapl", "to_stage": "paper"},
                         PAPER_EVIDENCE)
    return agents_with({"strategy": calls_then_answer([call("request_promotion", note="to paper")])},
                       {"strategy": [tool]})


def test_chat_once_json_reports_the_pending_approval_and_approvals_cli_answers_it(database, strategy_at, stores,
                                                                                  capsys, act_as):
    _, strategies, _ = stores
    strategy_at("backtested")
    alice = act_as("trader", name="alice", signed_in=False)

    run_chat("promote sma_aapl to paper", None, _cli_actor(alice), True, agents=_agents())
    chat = json.loads(capsys.readouterr().out)

    assert chat["pending_approval"]["kind"] == "paper"
    assert chat["tool_calls"] == [{"name": "request_promotion", "args": {"note": "to paper"}}]
    listed = CliRunner().invoke(approvals_cmd.app, ["list", "--status", "pending", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [a["id"] for a in json.loads(listed.stdout)] == [chat["pending_approval"]["id"]]

    act_as("approver", name="bob")  # the CLI now acts as bob
    approvals_cmd.decide(chat["pending_approval"]["id"], "approved", "looks fine", True, agents=_agents())
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


def test_interactive_chat_approves_inline_with_another_approvers_key(database, strategy_at, stores, capsys, act_as):
    _, strategies, _ = stores
    strategy_at("backtested")
    alice, bob = act_as("trader", name="alice", signed_in=False), act_as("approver", name="bob", signed_in=False)
    answers = iter(["promote sma_aapl to paper", "a", "exit"])

    run_chat(None, None, _cli_actor(alice), False, agents=_agents(), ask=lambda prompt: next(answers),
             ask_secret=lambda prompt: bob.api_key)

    out = capsys.readouterr().out
    assert "Approval needed: Paper trading: move sma_aapl from backtested to paper" in out
    assert "request promotion" in out and "quantpilot approvals approve apr_" in out
    assert strategies.get("sma_aapl").stage == "paper"
    assert "applied" in out


def test_interactive_chat_refuses_the_requesters_own_key_and_leaves_the_request_pending(
        database, strategy_at, stores, capsys, act_as):
    approvals, strategies, _ = stores
    strategy_at("backtested")
    alice = act_as("approver", name="alice", signed_in=False)
    answers = iter(["promote sma_aapl to paper", "a", "exit"])

    run_chat(None, None, _cli_actor(alice), False, agents=_agents(), ask=lambda prompt: next(answers),
             ask_secret=lambda prompt: alice.api_key)

    assert "segregation of duties" in capsys.readouterr().out
    assert strategies.get("sma_aapl").stage == "backtested"
    assert [a.status for a in approvals.list()] == ["pending"]


def test_model_and_tool_text_is_printed_as_text_never_as_terminal_markup(database, strategy_at, capsys, act_as):
    """A model's answer or a request's summary holding Rich markup (``[link=…]``, ``[bold]``) is shown as typed:
    the terminal never turns untrusted text into a hidden link or styling."""
    strategy_at("backtested")
    markup = "[link=http://evil.example]click[/link] [bold]now[/bold]"
    tool = approval_tool("request_promotion", "paper", {"strategy_id": "sma_aapl", "to_stage": "paper"},
                         PAPER_EVIDENCE)
    agents = agents_with({"strategy": calls_then_answer([call("request_promotion", note=markup)])},
                         {"strategy": [tool]})

    run_chat("promote sma_aapl to paper", None, _cli_actor(act_as("trader", name="alice", signed_in=False)), False,
             agents=agents)
    chat_out = capsys.readouterr().out
    pending = json.loads(CliRunner().invoke(approvals_cmd.app, ["list", "--json"]).stdout)[0]["id"]
    shown = CliRunner().invoke(approvals_cmd.app, ["show", pending])

    assert "[link=http://evil.example]click[/link]" in chat_out
    assert shown.exit_code == 0 and "[bold]now[/bold]" in shown.stdout
