"""Run a suite: k isolated trials per scenario, graded on the final state, summarised as pass^k / pass@k.

``run_suite`` builds (or reuses) one template database holding the suite's bundled symbols, then runs
every active scenario k times, each trial in its own cloned database, on ``concurrency`` threads.
Pending scenarios are not run; they are reported with their reason. The result is a JSON-ready dict
(``report_json``) that ``evals.report_html`` renders and ``evals.compare`` diffs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config import Settings
from evals.grading import grade
from evals.isolation import ensure_template, trial_database
from evals.metrics import pass_at_k, pass_hat_k, suite_score
from evals.models import ModelSpec
from evals.scenario import Scenario, load_suite, suite_dir

Progress = Callable[[str, int, bool], None]  # (scenario id, trial index, passed)


@dataclass
class RunOptions:
    model: ModelSpec = field(default_factory=ModelSpec)
    k: int = 1
    concurrency: int = 1
    only: tuple[str, ...] = ()  # scenario ids; empty = all


def _trial(scenario: Scenario, index: int, server, template: str, options: RunOptions, settings: Settings
           ) -> dict[str, Any]:
    from evals.trial import run_trial
    from guardrails.risk_policy import RiskLimits

    with trial_database(server, template) as trial_db:
        result = run_trial(scenario, trial_db, options.model, settings)
    limits = RiskLimits(**scenario.initial.risk_limits).model_dump(mode="json")
    mismatches = grade(scenario, result.observed, limits)
    return {"trial": index, "passed": not mismatches, "mismatches": [m.to_dict() for m in mismatches],
            "input_tokens": result.input_tokens, "output_tokens": result.output_tokens, "usd": result.usd,
            "latency_s": round(result.latency_s, 3), "turns": result.turns, "observed": result.observed.to_dict()}


def per_turn(trials: list[dict[str, Any]]) -> dict[str, float | int]:
    """The suite's figures per turn (a turn resumed after an approval counts once): model calls, tokens,
    dollars and wall time, as means, and the most model calls any turn made."""
    figures = [t["usage"] for trial in trials for t in trial["turns"] if t.get("usage", {}).get("model_calls")
               or t.get("usage", {}).get("latency_s")]
    n = max(len(figures), 1)
    return {"turns": len(figures),
            "model_calls_per_turn": round(sum(f["model_calls"] for f in figures) / n, 2),
            "max_model_calls_in_a_turn": max((f["model_calls"] for f in figures), default=0),
            "tokens_per_turn": round(sum(f["input_tokens"] + f["output_tokens"] for f in figures) / n, 1),
            "usd_per_turn": sum(f["usd"] for f in figures) / n,
            "latency_s_per_turn": round(sum(f.get("latency_s", 0.0) for f in figures) / n, 3)}


def _scenario_json(scenario: Scenario, trials: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = [t["passed"] for t in trials]
    n = max(len(trials), 1)
    return {"id": scenario.id, "title": scenario.title, "agent": scenario.agent, "tags": scenario.tags,
            "safety": scenario.safety, "status": "active", "k": len(trials),
            "pass_hat_k": pass_hat_k(outcomes), "pass_at_k": pass_at_k(outcomes),
            "passes": sum(outcomes), "mean_latency_s": round(sum(t["latency_s"] for t in trials) / n, 3),
            "mean_tokens": round(sum(t["input_tokens"] + t["output_tokens"] for t in trials) / n, 1),
            "mean_usd": sum(t["usd"] for t in trials) / n, "trials": trials}


def run_suite(suite: str | Path, options: RunOptions, *, settings: Settings | None = None, server=None,
              progress: Progress | None = None) -> dict[str, Any]:
    """Run ``suite`` (a name under evals/suites or a directory) and return the JSON report."""
    from config import get_settings
    from memory.db import connect

    started, when = time.perf_counter(), datetime.now(UTC)
    settings = options.model.settings((settings or get_settings()).model_copy(update={"data_sources": ["bundled"]}))
    scenarios = [s for s in load_suite(suite) if not options.only or s.id in options.only]
    active = [s for s in scenarios if s.status == "active"]
    server = server or connect(settings)
    template = ensure_template(server, sorted({sym for s in active for sym in s.initial.symbols}))
    jobs = [(s, i) for s in active for i in range(options.k)]

    def one(job: tuple[Scenario, int]) -> dict[str, Any]:
        scenario, index = job
        out = _trial(scenario, index, server, template, options, settings)
        if progress:
            progress(scenario.id, index, out["passed"])
        return out

    with ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
        results = list(pool.map(one, jobs))
    by_id: dict[str, list[dict[str, Any]]] = {s.id: [] for s in active}
    for (scenario, _), out in zip(jobs, results, strict=True):
        by_id[scenario.id].append(out)
    rows = [_scenario_json(s, by_id[s.id]) for s in active]
    score = suite_score([[t["passed"] for t in r["trials"]] for r in rows])
    safety = suite_score([[t["passed"] for t in r["trials"]] for r in rows if r["safety"]])
    return {
        "suite": suite_dir(suite).name, "model": options.model.describe(), "k": options.k,
        "started_at": when.isoformat(), "runtime_s": round(time.perf_counter() - started, 2),
        "summary": {**score.to_dict(), "pending": sum(s.status == "pending" for s in scenarios),
                    "safety": safety.to_dict(),
                    "input_tokens": sum(t["input_tokens"] for t in results),
                    "output_tokens": sum(t["output_tokens"] for t in results),
                    "usd": sum(t["usd"] for t in results),
                    "mean_latency_s": round(sum(t["latency_s"] for t in results) / max(len(results), 1), 3),
                    "per_turn": per_turn(results)},
        "scenarios": rows,
        "pending": [{"id": s.id, "title": s.title, "agent": s.agent, "reason": s.pending_reason}
                    for s in scenarios if s.status == "pending"],
    }


def summary_rows(reports: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One table row per suite: suite, scenarios, pass^k, pass@k, safety pass^k, and per turn model calls, tokens
    and dollars, then the run's seconds."""
    rows = []
    for r in reports:
        s = r["summary"]
        turn = s.get("per_turn") or {}
        rows.append((r["suite"], str(s["scenarios"]), f"{s['pass_hat_k']:.3f}", f"{s['pass_at_k']:.3f}",
                     f"{s['safety']['pass_hat_k']:.3f}" if s["safety"]["scenarios"] else "-",
                     f"{turn.get('model_calls_per_turn', 0):.1f}", f"{turn.get('tokens_per_turn', 0):,.0f}",
                     f"${turn.get('usd_per_turn', 0):,.4f}", f"{r['runtime_s']:.1f}"))
    return rows


# "safety": pass^k of the safety scenarios; "calls", "tokens", "$": model calls, tokens and dollars per turn
SUMMARY_HEADER = ("suite", "scenarios", "pass^k", "pass@k", "safety", "calls", "tokens", "$", "seconds")


def format_table(reports: list[dict[str, Any]]) -> str:
    """The summary as a plain-text table (for test output and logs)."""
    rows = [SUMMARY_HEADER, *summary_rows(reports)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(SUMMARY_HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in reports:
        for row in r["scenarios"]:
            if row["pass_hat_k"] < 1.0:
                first = next((t for t in row["trials"] if not t["passed"]), None)
                why = "; ".join(m["check"] for m in first["mismatches"]) if first else ""
                lines.append(f"  FAIL {r['suite']}/{row['id']} ({row['passes']}/{row['k']}): {why}")
    return "\n".join(lines)
