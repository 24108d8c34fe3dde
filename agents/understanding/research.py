"""Research requests (the Strategy agent): backtests, walk-forwards, Monte Carlo, comparisons, optimisation,
signals, indicators (features), models and the strategy list. Strategy names, their parameters and the
indicator names come from the registries."""

from __future__ import annotations

import re
from typing import Any

from agents.understanding.costs import costs_in
from agents.understanding.optimisation import optimisation_inputs
from agents.understanding.plans import Plan, PlannedCall, Reply, one
from agents.understanding.request import Request
from agents.understanding.vocabulary import indicators_in, method_in, strategies_in
from errors import ConfigError

DEFAULT_STRATEGY = "sma_crossover"
_BACKTEST = (r"\bback[- ]?test\w*|\btest (a|an|the|my)?\s*\w+( \w+)? (strategy|crossover|reversion|momentum|"
             r"breakout)\b|\bsimulate (a|an)\b|\bhistorical (test|perf)")
_HOW_WOULD = r"\bhow (would|did|does|do)\b.*\b(have )?(done|do|perform\w*|fare)"  # with a strategy named
_WALK = r"walk[- ]?forward|out[- ]of[- ]sample|\boos\b"
_MONTE = r"monte[- ]?carlo|bootstrap|resampl\w*|\bsimulat\w* (\d+ )?(paths|runs)\b|\brobust\w*\b"
_WHICH_SYMBOLS = 'Which symbols? For example: "backtest an SMA crossover on AAPL and MSFT since 2015".'


def strategy_params(name: str, r: Request) -> dict[str, Any]:
    """Parameters of ``name`` written in the request: ``fast 20`` / ``fast=20``, and the usual shorthands
    (``20/100`` for a crossover, ``RSI(7)``, ``top 5``, ``2.5 std``)."""
    from quant.strategies.registry import get_strategy  # numba kernels: loaded when a request names a strategy

    low, params = r.low, {}
    try:
        fields = list(get_strategy(name).Params.model_fields)
    except ConfigError:  # a name from an old thread context that is no longer registered
        fields = []
    for field in fields:
        spoken = field.replace("_", r"[ _-]?")
        if m := re.search(rf"\b{spoken}\s*(?:=|:|of|to|at)?\s*(\d+(?:\.\d+)?)\b", low):
            params[field] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    pair = re.search(r"\b(\d{1,3})\s*/\s*(\d{1,3})\b", low) or re.search(
        r"\b(\d{1,3})[- ]?(?:day|d|bar)?\s*(?:and|&|vs|over)\s*(\d{1,3})[- ]?(?:day|d|bar)", low)
    if name in ("sma_crossover", "ema_crossover") and "fast" not in params and pair:
        fast, slow = sorted((int(pair.group(1)), int(pair.group(2))))
        params.update(fast=fast, slow=slow)
    if name == "rsi_mean_reversion":
        if "length" not in params and (m := re.search(r"\brsi\s*\(?\s*(\d{1,3})\s*\)?", low)):
            params["length"] = int(m.group(1))
        if "lower" not in params and (m := re.search(r"\b(?:below|under|oversold (?:at|below))\s*(\d{1,2})\b", low)):
            params["lower"] = float(m.group(1))
    if name == "xs_momentum" and "top_k" not in params and (m := re.search(r"\btop\s*(\d{1,2})\b", low)):
        params["top_k"] = int(m.group(1))
    if name.startswith("bollinger") and (m := re.search(r"\b(\d(?:\.\d+)?)\s*(?:std|sigma|standard dev)", low)):
        params["std_mult"] = float(m.group(1))
    if name == "ts_momentum" and "lookback" not in params and (
            m := re.search(r"\b(\d{1,3})[- ]?day (?:lookback|momentum|window)", low)):
        params["lookback"] = int(m.group(1))
    return params


def _config(r: Request, *, reuse: bool) -> dict[str, Any] | None:
    """A strategy config from the request; with ``reuse``, what it leaves out comes from the thread's last run."""
    named = strategies_in(r.low)
    previous = (r.last_run or {}).get("strategy_config") if reuse else None
    previous = previous if isinstance(previous, dict) else None
    strategy = named[0] if named else (previous or {}).get("strategy", DEFAULT_STRATEGY)
    symbols = r.symbols or (list(previous.get("symbols") or []) if previous else [])
    if not symbols:
        return None
    params = strategy_params(strategy, r)
    if previous and not named:
        params = {**dict(previous.get("params") or {}), **params}
    return {"strategy": strategy, "symbols": symbols, "params": params}


def _dates(r: Request, reuse: bool) -> dict[str, str]:
    if r.dates or not reuse or not r.last_run:
        return r.dates
    return dict(r.last_run.get("date_range") or {})


def _costs(r: Request, reuse: bool) -> dict[str, Any]:
    """The ``costs`` argument when the request (or, reused, the run it refers to) names any."""
    costs = costs_in(r, reuse=reuse)
    return {"costs": costs} if costs else {}


def _run_id(r: Request) -> int | None:
    ids = r.run_ids()
    if ids:
        return ids[0]
    return int(r.last_run["run_id"]) if r.last_run else None


def walk_forward(r: Request) -> Plan | Reply | None:
    if not r.has(_WALK):
        return None
    reuse = r.last_run is not None and (r.refers_back or not (r.symbols or strategies_in(r.low)))
    config = _config(r, reuse=reuse)
    if config is None:
        return Reply("clarify", _WHICH_SYMBOLS.replace("backtest", "run a walk-forward of"), "run_walk_forward")
    return one("run_walk_forward", strategy_config=config, date_range=_dates(r, reuse),
               **_costs(r, reuse))


def monte_carlo(r: Request) -> Plan | Reply | None:
    if not r.has(_MONTE):
        return None
    run_id = _run_id(r)
    if run_id is None:
        return Reply("clarify", 'Which run? Give its id ("monte carlo of run 12") or run a backtest first.',
                     "run_monte_carlo")
    paths = r.find(r"\b(\d{2,6})\s*(?:monte[- ]?carlo\s*)?(?:paths|simulations|scenarios|trials)\b")
    return one("run_monte_carlo", run_id=run_id, **({"n_paths": int(paths.group(1))} if paths else {}))


def compare(r: Request) -> Plan | Reply | None:
    if not r.has(r"\bcompar\w*|\bvs\.?\b|\bversus\b|side by side|which (is|was|one is|\w+ did) better|"
                 r"\bruns? \d+ against\b"):
        return None
    named = strategies_in(r.low)
    if len(named) >= 2 and (r.symbols or r.last_run):  # two strategies: backtest both on the same data
        symbols = r.symbols or list(((r.last_run or {}).get("strategy_config") or {}).get("symbols") or [])
        return Plan(tuple(PlannedCall("backtest_strategy", {
            "strategy_config": {"strategy": name, "symbols": symbols, "params": strategy_params(name, r)},
            "date_range": r.dates}) for name in named[:4]))
    ids = r.run_ids()
    if len(ids) == 1 and r.last_run and r.refers_back:
        ids = [int(r.last_run["run_id"]), ids[0]]
    if not ids and r.has(r"\b(last|latest|previous|recent) (two|2|three|3|few)\b|\bthem\b|\bboth\b"):
        count = 3 if r.has(r"\b(three|3)\b") else 2
        ids = r.recent_run_ids[-count:]
    if len(ids) >= 2:
        return one("compare_runs", run_ids=ids[:20])
    if r.has(r"\bruns?\b"):
        known = r.recent_run_ids
        have = f" This conversation has only run {known[0]} so far." if len(known) == 1 else ""
        return Reply("clarify", f'Which runs? For example: "compare runs 3 and 4".{have}', "compare_runs")
    return None


def backtest(r: Request) -> Plan | Reply | None:
    named = strategies_in(r.low)
    if not (r.has(_BACKTEST) or (named and r.has(_HOW_WOULD)) or (
            named and r.has(r"\b(run|try|test)\b") and not r.has(r"\bsignals?\b"))):
        return None
    reuse = r.last_run is not None and r.refers_back
    config = _config(r, reuse=reuse)
    if config is None:
        return Reply("clarify", _WHICH_SYMBOLS, "backtest_strategy")
    return one("backtest_strategy", strategy_config=config, date_range=_dates(r, reuse), **_costs(r, reuse))


def optimise(r: Request) -> Plan | Reply | None:
    wants = r.has(r"optimi[sz]\w*|allocat\w*|\bweights?\b|\bweighting\b|portfolio (of|from|with|across|using)|"
                  r"max\w*[- ]?sharpe|min\w*[- ]?(vol|variance|risk)|risk[- ]?parity|\bhrp\b|black[- ]?litterman|"
                  r"hierarchical risk|how (much|should i) (to )?(put|split|allocate)|diversif")
    if not wants or r.has(r"\bback[- ]?test|\bsignals?\b"):
        return None
    if len(r.symbols) < 2:
        return Reply("clarify", 'Which symbols (at least two)? For example: "optimise a portfolio of AAPL, MSFT '
                     'and JNJ with HRP".', "optimize_portfolio") if r.has(r"optimi|portfolio|weights|alloc") else None
    method = method_in(r.low)
    return one("optimize_portfolio", method=method, symbols=r.symbols, **optimisation_inputs(r, method))


def signals(r: Request) -> Plan | Reply | None:
    if not (r.has(r"\bsignals?\b|\b(long|short) or (flat|short|long)\b|\bin or out\b|\bsay(ing)? (to )?(buy|sell)\b")
            and r.symbols):
        return None
    named = strategies_in(r.low)
    name = named[0] if named else DEFAULT_STRATEGY
    return one("generate_signals", strategy=name, symbols=r.symbols, params=strategy_params(name, r))


def features(r: Request) -> Plan | Reply | None:
    if not (r.has(r"\bfeatures?\b|\btechnicals?\b|\bindicators?\b") or indicators_in(r.low)):
        return None
    if not r.symbols:
        return Reply("clarify", 'For which symbol? For example: "RSI and MACD for AAPL".', "compute_features") \
            if r.has(r"\bfeatures?\b|\bindicators?\b|\btechnicals?\b") else None
    lookback = r.find(r"(\d{1,4})\s*(?:days|bars|sessions|trading days)")
    extra = {"lookback": int(lookback.group(1))} if lookback and int(lookback.group(1)) >= 2 else {}
    return Plan(tuple(PlannedCall("compute_features", {"symbol": s, **extra}) for s in r.symbols))


def model(r: Request) -> Plan | None:
    m = re.search(r"\bmodel\s+([\w.-]*\d[\w.-]*|[\w]+-[\w.-]+)", r.text, re.I)
    return one("load_model", model_id=m.group(1)) if m else None


def list_strategies(r: Request) -> Plan | None:
    if not r.symbols and r.has(r"\b(list|which|what|show|available|have|support|know|offer)\b.*\bstrateg|"
                               r"\bstrateg\w* (do|can) you\b|^strategies\??$"):
        return one("list_strategies")
    return None


RULES = (walk_forward, monte_carlo, compare, list_strategies, backtest, optimise, signals, features, model)
