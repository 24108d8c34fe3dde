"""Compare two eval runs (JSON reports): which scenarios regressed, improved, appeared or went away."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errors import ConfigError


@dataclass(frozen=True)
class Comparison:
    """Scenario ids by change, keyed ``suite/id``; deltas of the suite scores (B minus A)."""

    regressions: list[dict[str, Any]] = field(default_factory=list)
    improvements: list[dict[str, Any]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    suite_deltas: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"regressions": self.regressions, "improvements": self.improvements, "added": self.added,
                "removed": self.removed, "suite_deltas": self.suite_deltas}


def load_reports(path: Path) -> list[dict[str, Any]]:
    """The suite reports in a JSON file written by ``eval run --json/--report`` (one report or a list)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read eval report {path}: {exc}", details={"file": str(path)}) from None
    reports = data.get("reports", [data]) if isinstance(data, dict) else data
    if not isinstance(reports, list) or not all(isinstance(r, dict) and "scenarios" in r for r in reports):
        raise ConfigError(f"{path} is not an eval report (no 'scenarios')", details={"file": str(path)})
    return reports


def _index(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{r['suite']}/{s['id']}": s for r in reports for s in r["scenarios"]}


def compare(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> Comparison:
    """Regression: a scenario whose pass^k (or pass@k) fell from A to B."""
    old, new = _index(a), _index(b)
    out = Comparison(added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)))
    for key in sorted(set(old) & set(new)):
        before, after = old[key], new[key]
        row = {"scenario": key, "pass_hat_k": [before["pass_hat_k"], after["pass_hat_k"]],
               "pass_at_k": [before["pass_at_k"], after["pass_at_k"]],
               "passes": [f"{before['passes']}/{before['k']}", f"{after['passes']}/{after['k']}"]}
        if (after["pass_hat_k"], after["pass_at_k"]) < (before["pass_hat_k"], before["pass_at_k"]):
            out.regressions.append(row)
        elif (after["pass_hat_k"], after["pass_at_k"]) > (before["pass_hat_k"], before["pass_at_k"]):
            out.improvements.append(row)
    suites_a = {r["suite"]: r["summary"] for r in a}
    for r in b:
        if r["suite"] in suites_a:
            out.suite_deltas[r["suite"]] = {m: round(r["summary"][m] - suites_a[r["suite"]][m], 4)
                                            for m in ("pass_hat_k", "pass_at_k", "trial_pass_rate")}
    return out
