"""``quantpilot demo``: the whole story on the embedded defaults, offline.

Database → bundled real prices → a conversation with the agents (offline planner) that loads data,
backtests an SMA crossover, walks it forward, asks for the strategy review and the paper approval
(given explicitly by a demo approver) → paper trading over replayed 2022 history through the gated
execution path, in its own paper account ``demo`` (the default account stays untouched) → risk report,
daily summary and the report path. A second run reuses what the first stored.
"""

from __future__ import annotations

import typer

TRADER, APPROVER = "dana", "avery"
ACCOUNT = "demo"  # the demo's own paper account: its 2022 replay never touches the default book
STRATEGY_ID = "sma_crossover_aapl_msft"
REPLAY = ("2022-01-03", "2022-12-28")
STAGES = ("draft", "backtested", "paper", "live")


def demo(as_json: bool = typer.Option(False, "--json", help="Print a JSON summary at the end.")) -> None:
    """Run the offline story end to end: data, agents, approvals, paper trading, reports."""
    import time

    from api.output import console, print_json
    from config import get_settings
    from memory.db import connect
    from memory.status import database_status
    from services.market_data import MarketDataService

    started = time.perf_counter()
    settings = get_settings()
    console.rule("[bold]quantpilot demo[/] — offline planner, embedded Postgres, paper trading")
    database = connect(settings)
    status = database_status()
    console.print(f"database: {status['server']} PostgreSQL {status['postgres_version']}, "
                  f"pgvector {status['pgvector_version']}")
    trader, approver = _demo_people(settings, console)
    _load_prices(MarketDataService(database, actor=trader), console)
    story = _conversation(settings, database, console, trader, approver)
    story["elapsed_s"] = round(time.perf_counter() - started, 1)
    console.rule(f"[green]demo complete[/] in {story['elapsed_s']}s")
    console.print(f"HTML report of the backtest: {story['report']}")
    console.print("Try: quantpilot chat · quantpilot approvals list · quantpilot orders list · quantpilot serve")
    if as_json:
        print_json(story)


def _load_prices(market, console) -> None:
    """The bundled prices, loaded and validated once: a later demo run finds them stored and says so."""
    from quant.data.providers.bundled import BundledProvider

    stored = {r.symbol: r for r in market.list_symbols() if r.source == "bundled"}
    if stored and set(BundledProvider().available_symbols()) <= set(stored):
        console.print(f"market data: {sum(r.bars for r in stored.values()):,} bars for {len(stored)} symbols, "
                      "stored by an earlier demo run (`quantpilot data load --source bundled` reloads them)")
        return
    with console.status("loading the bundled real daily prices…"):
        load = market.load("bundled")
    console.print(f"market data: {load.rows:,} bars for {len(load.symbols)} symbols "
                  f"({load.inserted:,} new, {load.warnings} warnings)")


def _demo_people(settings, console):
    """The demo's two people, a trader and an approver (someone else must approve what the trader asks), with
    their keys in $QUANTPILOT_HOME/demo-keys; the CLI is signed in as the trader unless it already is someone."""
    from api.cli_auth import save_key, saved_key, user_service

    keys = settings.home / "demo-keys"
    service = user_service()
    trader = service.provision(TRADER, "trader", keys / f"{TRADER}.key", by="demo")
    approver = service.provision(APPROVER, "approver", keys / f"{APPROVER}.key", by="demo")
    if saved_key() is None:
        save_key((keys / f"{TRADER}.key").read_text(encoding="utf-8").strip())
    console.print(f"people: {TRADER} (trader) asks, {APPROVER} (approver) decides; their API keys are in {keys} "
                  "(local set-up, no key needed for the demo itself)")
    return trader, approver


def _say(console, session, text: str):
    console.print(f"\n[bold cyan]dana>[/] {text}")
    result = session.send(text)
    calls = ", ".join(c["name"] for c in result.tool_calls) or "none"
    console.print(f"[dim]route {' → '.join(result.route)} · tools: {calls}[/]")
    console.print(result.answer, highlight=False, markup=False)
    return result


def _approve(console, service, approver, pending: dict) -> None:
    outcome = service.approve(approver, pending["id"], "approved by the demo approver")
    console.print(f"[bold green]{APPROVER} (approver) approved[/] {pending['kind']} request {pending['id']} → "
                  f"{outcome.approval.status}")


def _stage(registry) -> str:
    record = registry.get(STRATEGY_ID)
    return record.stage if record else "draft"


def _conversation(settings, database, console, trader, approver) -> dict:
    from graph.approval_resume import approval_service
    from graph.runner import ChatSession
    from graph.wiring import product_context, product_graph
    from memory.strategies import StrategyRegistry
    from memory.threads import ThreadStore
    from services.daily_summary import generate_daily_summary
    from services.execution_path import execution_service

    context = product_context(settings, database, channel="cli", account=ACCOUNT)
    graph = product_graph(settings, database, user=TRADER, account=ACCOUNT)
    person = {"id": trader.name, "role": trader.role.value, "user_id": trader.user_id}
    session = ChatSession(graph, person, context=context, threads=ThreadStore(database))
    approvals, registry = approval_service(context, graph), StrategyRegistry(database)
    console.rule("conversation")
    _say(console, session, "load data for AAPL and MSFT")
    _say(console, session, "backtest an SMA crossover on AAPL and MSFT since 2015")
    _say(console, session, "run a walk-forward of it")
    gated = []
    for target in ("backtested", "paper"):
        if STAGES.index(_stage(registry)) >= STAGES.index(target):
            console.print(f"[dim]{STRATEGY_ID} is already at {_stage(registry)} (an earlier demo run)[/]")
            continue
        asked = _say(console, session, f"promote it to {target}")
        if not asked.pending_approval:
            raise_story_error(f"the {target} promotion was not offered for approval: {asked.answer[:200]}")
        gated.append(asked.pending_approval["kind"])
        _approve(console, approvals, approver, asked.pending_approval)
    console.print(f"strategy {STRATEGY_ID} is now at stage [bold]{_stage(registry)}[/]")
    console.rule(f"paper trading over replayed 2022 history, in paper account {ACCOUNT!r}")
    result = _replay(settings, database, console, trader)
    console.rule("risk and summary")
    _say(console, session, "risk report")
    _say(console, session, "daily summary")
    summary = generate_daily_summary(execution_service(database, settings, account=ACCOUNT), trader)
    console.print(summary.render_text(), highlight=False, markup=False)
    report = _report_path(database, trader)
    return {"thread_id": session.thread_id, "approvals_gated": gated, "stage": _stage(registry),
            "paper": result, "report": report}


def _replay(settings, database, console, trader) -> dict:
    """The 2022 replay in the demo account, once: a later demo run finds the account's clock past it (and the
    breaker halt it ended in) and says so instead of replaying again."""
    from services.execution_path import execution_service
    from services.paper_loop import run_paper

    service = execution_service(database, settings, account=ACCOUNT)
    clock, state = service.market_clock(), service.trading_state()
    if service.orders.list(account_id=ACCOUNT, limit=1) or state.status.value != "active":
        console.print(f"account {ACCOUNT} replayed 2022 in an earlier demo run: its clock is at "
                      f"{clock.now:%Y-%m-%d}, trading {state.status.value}" + (f" ({state.reason})" if state.reason
                                                                               else ""), highlight=False)
        if state.release:
            console.print(f"[dim]to lift it: {state.release}[/]", highlight=False)
        return {"bars": 0, "orders": {}, "refusals": {}, "account_id": ACCOUNT, "stopped": state.reason,
                "release": state.release, "reused": True}
    with console.status("replaying bars through the risk policy and the paper broker…"):
        paper = run_paper(database, trader, strategy=STRATEGY_ID, symbols=["AAPL", "MSFT"], start=REPLAY[0],
                          end=REPLAY[1], settings=settings, account_id=ACCOUNT)
    from quant.display import counted, money

    result = paper.to_dict()
    orders = ", ".join(f"{n} {status}" for status, n in sorted(paper.orders.items())) or "none"
    refusals = ", ".join(f"{n} {code}" for code, n in sorted(paper.refusals.items())) or "none"
    console.print(f"{counted(paper.bars, 'bar')} replayed; orders: {orders}; refusals: {refusals}; equity "
                  f"{money(paper.start_equity_usd, cents=False)} → {money(paper.end_equity_usd, cents=False)}",
                  highlight=False)
    if paper.stopped:
        console.print(f"[yellow]{paper.stopped}[/] — the breaker halts account {ACCOUNT} only; the default account "
                      "trades on.", highlight=False)
        console.print(f"[dim]to lift it: {paper.release}[/]", highlight=False)
    return result


def _report_path(database, trader) -> str | None:
    from services.research import ResearchService

    research = ResearchService(database, actor=trader)
    runs = research.records(kind="backtest", strategy="sma_crossover", limit=1)
    return str(research.report(runs[0].id)) if runs else None


def raise_story_error(message: str) -> None:
    from errors import QuantpilotError

    raise QuantpilotError(f"demo stopped: {message}", code="demo_failed")
