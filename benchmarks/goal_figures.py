"""What every part of the run_all table shares: finding a record, a goal judged on wall (and CPU) time, seconds
as people read them."""

from __future__ import annotations

from typing import Any

Record = dict[str, Any]
QP = "quantpilot"


def find_record(records: list[Record], workload: str, peer: str, **match: Any) -> Record | None:
    for r in records:
        if r.get("workload") == workload and str(r.get("peer", "")).startswith(peer) and all(
                r.get(k) == v for k, v in match.items()):
            return r
    return None


def ratio_of(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 2)


def judged(name: str, figure: str, value: float | None, limit: float, cpu_value: float | None = None,
          at_least: bool = False) -> Record:
    def ok(x: float | None) -> bool | None:
        return None if x is None else (x >= limit if at_least else x <= limit)

    return {"goal": name, "figure": figure, "met": ok(value), "met_on_cpu": ok(cpu_value)}


def seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(value: bool | None) -> str:
    return "—" if value is None else ("met" if value else "NOT met")
