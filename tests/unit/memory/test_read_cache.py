"""VersionedCache: entries live only under the version they were read at, and at most their TTL."""

from __future__ import annotations

import threading
import time

from memory.data_version import CacheVersions
from memory.read_cache import VersionedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_cached_value_is_reused_until_the_version_moves():
    version, loads = [0], []
    cache = VersionedCache(lambda: version[0], ttl_seconds=60)

    def load():
        loads.append(version[0])
        return f"read at version {version[0]}"

    first, second = cache.get("k", load), cache.get("k", load)
    version[0] += 1
    third = cache.get("k", load)
    assert (first, second, third) == ("read at version 0", "read at version 0", "read at version 1")
    assert loads == [0, 1]


def test_a_cached_value_expires_after_its_ttl():
    clock = Clock()
    cache = VersionedCache(lambda: 0, ttl_seconds=5, clock=clock)
    values = iter(["old", "new"])
    assert cache.get("k", lambda: next(values)) == "old"
    clock.now = 4.9
    assert cache.peek("k") == (True, "old")
    clock.now = 5.0
    assert cache.peek("k") == (False, None)
    assert cache.get("k", lambda: next(values)) == "new"


def test_a_load_that_races_a_write_is_never_served_after_it():
    version = [0]
    cache = VersionedCache(lambda: version[0], ttl_seconds=60)

    def load_during_which_a_write_commits():
        version[0] += 1  # the write lands while the old rows are being read
        return "rows from before the write"

    cache.get("k", load_during_which_a_write_commits)
    assert cache.peek("k") == (False, None)
    assert cache.get("k", lambda: "rows after the write") == "rows after the write"


def test_concurrent_misses_of_one_key_share_a_single_load():
    cache = VersionedCache(lambda: 0, ttl_seconds=60)
    calls, gate = [], threading.Event()

    def slow_load():
        calls.append(1)
        gate.wait(2)
        return "value"

    threads = [threading.Thread(target=cache.get, args=("k", slow_load)) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and cache.peek("k") == (True, "value")


def test_least_recently_used_entries_are_dropped_beyond_the_limit():
    cache = VersionedCache(lambda: 0, ttl_seconds=60, max_entries=2)
    for key in ("a", "b"):
        cache.get(key, lambda key=key: key)
    cache.peek("a")  # a is now more recent than b
    cache.get("c", lambda: "c")
    assert [cache.peek(k)[0] for k in ("a", "b", "c")] == [True, False, True]


def test_a_zero_ttl_disables_the_cache():
    cache = VersionedCache(lambda: 0, ttl_seconds=0)
    values = iter([1, 2])
    assert [cache.get("k", lambda: next(values)) for _ in range(2)] == [1, 2]
    assert cache.peek("k") == (False, None)


def test_without_a_connected_listener_the_bar_version_never_repeats():
    versions = CacheVersions()
    cache = VersionedCache(versions.bars, ttl_seconds=60)
    values = iter([1, 2])
    assert [cache.get("k", lambda: next(values)) for _ in range(2)] == [1, 2]
