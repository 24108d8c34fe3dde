"""A small read-through cache whose entries are valid only under the data version they were read at.

``VersionedCache(version, ttl_seconds, max_entries)``: ``get(key, load)`` returns the cached value if it
was loaded under the current ``version()`` less than ``ttl_seconds`` ago, else calls ``load()``. The
version is read *before* ``load()`` runs, so a load that races a write is stored under the old version
and never served afterwards. Least recently used entries are dropped beyond ``max_entries``.
Concurrent misses of one key wait for a single load (no stampede on an expensive read).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class VersionedCache:
    """Version-tagged, TTL-bounded LRU read-through cache (thread safe)."""

    def __init__(self, version: Callable[[], Hashable], *, ttl_seconds: float, max_entries: int = 512,
                 clock: Callable[[], float] = time.monotonic):
        self._version = version
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Hashable, float, Any]] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value of ``key``: cached if current, else ``load()`` (stored with the version seen before it)."""
        if not self.enabled:
            return load()
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            found, value = self._lookup(key)  # another thread may have loaded it while we waited
            if found:
                return value
            version = self._version()
            try:
                value = load()
            except BaseException:
                with self._lock:
                    self._loading.pop(key, None)
                raise
            with self._lock:
                self.misses += 1
                self._entries[key] = (version, self._clock() + self._ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max:
                    self._entries.popitem(last=False)
                self._loading.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """``(True, value)`` if ``key`` is cached and current, else ``(False, None)``; never loads or waits
        for a load (safe on an event loop)."""
        if not self.enabled:
            return False, None
        return self._lookup(key)

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            version, expires, value = entry
            if expires <= self._clock() or version != self._version():
                del self._entries[key]
                return False, None
            self._entries.move_to_end(key)
            self.hits += 1
            return True, value
