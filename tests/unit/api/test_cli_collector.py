"""Which commands run without Python's cyclic collector: those that answer and exit; never one that serves or
runs for long (its garbage cycles must still be freed)."""

from __future__ import annotations

import gc

import pytest

from api.cli import answers_and_exits


@pytest.mark.parametrize("args", [[], ["--help"], ["approvals", "approve", "apr_1"], ["--debug", "risk", "status"],
                                  ["backtest", "grid", "--grid", "fast=5:50:5"], ["walkforward"], ["demo"],
                                  ["chat", "--once", "backtest AAPL"], ["data", "list"]])
def test_a_command_that_answers_and_exits_runs_without_the_collector(args):
    assert answers_and_exits(args) is True


@pytest.mark.parametrize("args", [["serve"], ["chat"], ["--debug", "chat"], ["mcp"], ["slack", "socket"],
                                  ["paper", "run", "--strategy", "sma_crossover"], ["eval", "run"],
                                  ["threads", "recover"], ["no-such-command"]])
def test_a_command_that_serves_or_runs_long_keeps_it(args):
    assert answers_and_exits(args) is False


def test_the_collector_is_back_after_an_in_process_command():
    from tests.integration.cli_runner import run_cli

    assert run_cli("--help").exit_code == 0
    assert gc.isenabled()
