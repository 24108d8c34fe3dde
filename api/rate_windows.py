"""In-process sliding-window counters for the per-key and per-address request limits.

The same algorithm as ``limits``' sliding-window counter: a request is allowed while
``previous_window_count x (share of the previous window still inside the sliding window) +
current_window_count < limit``. Kept here because ``limits``' memory storage expires keys with a
``threading.Timer`` restarted every 10 ms under load (about 100 short-lived threads a second per
worker, each taking the GIL); this needs no thread. Other storages (e.g. Redis) still go through ``limits``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class SlidingWindows:
    """Sliding-window counters keyed by any string; ``hit`` counts one request if it is allowed."""

    def __init__(self, clock: Callable[[], float] = time.time, prune_every: int = 10_000):
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int, int]] = {}  # key -> (window index, previous count, current count)
        self._prune_every = prune_every
        self._since_prune = 0

    def hit(self, key: str, limit: int, period_s: float) -> tuple[bool, int]:
        """``(allowed, retry_after_s)``: count one request under ``key`` unless ``limit`` per ``period_s``
        would be exceeded; ``retry_after_s`` (>= 1) says when to try again after a refusal."""
        now = self._clock()
        window = int(now // period_s)
        elapsed_share = (now - window * period_s) / period_s
        with self._lock:
            index, previous, current = self._windows.get(key, (window, 0, 0))
            if index == window - 1:
                previous, current = current, 0
            elif index != window:
                previous, current = 0, 0
            weighted = previous * (1 - elapsed_share) + current
            allowed = weighted + 1 <= limit
            self._windows[key] = (window, previous, current + 1 if allowed else current)
            self._since_prune += 1
            if self._since_prune >= self._prune_every:
                self._prune(window)
        if allowed:
            return True, 0
        return False, max(1, math.ceil(self._seconds_until_allowed(previous, current, limit, period_s, elapsed_share)))

    @staticmethod
    def _seconds_until_allowed(previous: int, current: int, limit: int, period_s: float, share: float) -> float:
        if current + 1 > limit:  # only the next window can admit it
            return (1 - share) * period_s
        # the previous window's weight falls linearly: previous x (1 - s) + current + 1 <= limit
        needed_share = 1 - (limit - current - 1) / previous if previous else share
        return max(0.0, needed_share - share) * period_s

    def _prune(self, window: int) -> None:
        self._since_prune = 0
        stale = [key for key, (index, _, _) in self._windows.items() if index < window - 1]
        for key in stale:
            del self._windows[key]
