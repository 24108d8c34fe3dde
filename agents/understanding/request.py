"""``Request``: one message as the rules read it — the text, its lower-case form with typos corrected, and the
thread context, which says what "it", "this strategy", "that run", "the last backtest" or "that order" mean.

The thread context is what the graph keeps about the thread (``graph.agent_nodes``): ``last_run`` (the last
backtest or walk-forward, with its config), ``recent_runs`` (their ids, newest last), ``last_order`` and
``last_call`` (the last tool call, for "the same for MSFT")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from agents.understanding.vocabulary import correct_typos, dates_in, symbols_in

# words that point back at something earlier in the thread
_REFERS_BACK = re.compile(r"\b(it|its|this|that|these|those|them|the same|same one|the last|the latest|the previous|"
                          r"my last|the one|above|earlier|previous|last one)\b")


@dataclass(frozen=True)
class Request:
    text: str
    context: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def low(self) -> str:
        """Lower case, typos corrected, curly quotes straightened, whitespace collapsed."""
        plain = self.text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
        return correct_typos(re.sub(r"\s+", " ", plain.lower()).strip())

    @cached_property
    def symbols(self) -> list[str]:
        return symbols_in(self.text)

    @cached_property
    def dates(self) -> dict[str, str]:
        return dates_in(self.text)

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.low) is not None

    def find(self, pattern: str) -> re.Match[str] | None:
        return re.search(pattern, self.low)

    @property
    def refers_back(self) -> bool:
        return _REFERS_BACK.search(self.low) is not None

    @property
    def last_run(self) -> dict[str, Any] | None:
        run = self.context.get("last_run")
        return run if isinstance(run, dict) and run.get("run_id") is not None else None

    @property
    def recent_run_ids(self) -> list[int]:
        runs = self.context.get("recent_runs") or []
        ids = [int(r["run_id"]) for r in runs if isinstance(r, dict) and r.get("run_id") is not None]
        if not ids and self.last_run:
            ids = [int(self.last_run["run_id"])]
        return ids

    @property
    def last_order_id(self) -> str | None:
        order = self.context.get("last_order")
        return str(order["client_order_id"]) if isinstance(order, dict) and order.get("client_order_id") else None

    @property
    def last_call(self) -> dict[str, Any] | None:
        call = self.context.get("last_call")
        return call if isinstance(call, dict) and call.get("name") else None

    def run_ids(self) -> list[int]:
        """Run ids written in the text ("run 12", "runs 3 and 4", "#7", "3 vs 4")."""
        if not self.has(r"\bruns?\b|#\d|\bvs\b|\bversus\b"):
            return []
        named = re.findall(r"\b(?:runs?|#)\s*#?(\d{1,7})\b", self.low)  # "run 12", "#12" first
        found = re.findall(r"(?<![\d.\-/])#?(\d{1,7})(?![\d.%\-/])(?!\s*(?:paths|simulations|scenarios|trials))",
                           self.low)
        return list(dict.fromkeys(int(n) for n in [*named, *found] if not 1900 <= int(n) <= 2100))
