"""Continue, at server start, the agent turns a killed process left half-done (``graph.recovery``).

Runs on a background thread so a long continuation (a backtest step) never delays ``/ready``; each
worker runs it and the per-thread advisory lock in ``graph.recovery`` lets exactly one continue a
thread. Only threads idle for ``recover_after_idle_s`` are touched: a turn still running in another
live process looks exactly like a killed one until then; threads older than ``recover_max_age_s`` are
left for an operator (``quantpilot threads recover --max-age-hours 0``).
"""

from __future__ import annotations

import logging
import threading

from config import Settings
from memory.db import Database

log = logging.getLogger("quantpilot.api.recovery")


def _recover(settings: Settings, database: Database, min_idle_s: float, max_age_s: float | None) -> None:
    from graph.recovery import resume_product_threads

    try:
        resumed = resume_product_threads(settings, database, channel="api", min_idle_s=min_idle_s,
                                         max_age_s=max_age_s)
    except Exception as exc:  # noqa: BLE001 - start-up must not fail on recovery; the CLI can retry it
        log.error("start-up thread recovery failed: %s (run `quantpilot threads recover`)", exc)
        return
    for thread in resumed:
        log.warning("continued thread %s from %s: %s", thread.thread_id, ",".join(thread.due_nodes),
                    thread.outcome)


def start_thread_recovery(settings: Settings, database: Database, min_idle_s: float,
                          max_age_s: float | None = None) -> threading.Thread:
    """Start the recovery on a daemon thread (threads idle at least ``min_idle_s`` and, unless None, at most
    ``max_age_s``); returns it (tests join it)."""
    worker = threading.Thread(target=_recover, args=(settings, database, min_idle_s, max_age_s),
                              name="quantpilot-thread-recovery", daemon=True)
    worker.start()
    return worker
