"""Versions of the bar data and of the API users, so per-process caches know when they are stale.

A version moves in two ways:

1. In this process, at once: ``BarStore`` calls ``note_bars_written()`` whenever it writes bars, and
   ``UserStore`` calls ``note_users_changed()`` when it revokes a key.
2. From any process, when its transaction commits: those writes also send ``NOTIFY quantpilot_bars`` /
   ``NOTIFY quantpilot_users`` inside their transaction, and a ``ChangeListener`` (one connection per
   API worker) bumps its own counters when the notification arrives.

A cache stores each entry with the version it was read under (taken *before* the read) and serves it
only while that version is current, so a read racing a write can never be served after it. Caches
also bound every entry's age (a TTL), which limits staleness while the listener is reconnecting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("quantpilot.memory")

BARS_CHANNEL = "quantpilot_bars"
USERS_CHANNEL = "quantpilot_users"
NOTIFY_BARS = f"NOTIFY {BARS_CHANNEL}"
NOTIFY_USERS = f"NOTIFY {USERS_CHANNEL}"

_lock = threading.Lock()
_local = {BARS_CHANNEL: 0, USERS_CHANNEL: 0}


def note_bars_written() -> None:
    """Bars were written by this process (call it before and after the commit)."""
    _bump(BARS_CHANNEL)


def note_users_changed() -> None:
    """A key was revoked (or a role changed) by this process."""
    _bump(USERS_CHANNEL)


def local_version(channel: str) -> int:
    """How many changes on ``channel`` this process has made itself."""
    return _local[channel]


def _bump(channel: str) -> None:
    with _lock:
        _local[channel] += 1


class ChangeListener:
    """A thread LISTENing on the bar and user channels; ``version(channel)`` moves on every change.

    ``version`` combines this process's own writes with the notifications received, so one number
    covers both. While the connection is down the listener retries every ``retry_seconds`` and bumps
    every version on reconnect (a notification may have been missed).
    """

    def __init__(self, conninfo: str, *, retry_seconds: float = 1.0,
                 on_change: Callable[[str], None] | None = None):
        self._conninfo = conninfo
        self._retry_seconds = retry_seconds
        self._on_change = on_change
        self._received = {BARS_CHANNEL: 0, USERS_CHANNEL: 0}
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None

    def version(self, channel: str) -> tuple[int, int]:
        return _local[channel], self._received[channel]

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, wait_seconds: float = 5.0) -> ChangeListener:
        self._thread = threading.Thread(target=self._run, name="quantpilot-change-listener", daemon=True)
        self._thread.start()
        self._connected.wait(wait_seconds)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {BARS_CHANNEL}")
                    conn.execute(f"LISTEN {USERS_CHANNEL}")
                    self._changed(BARS_CHANNEL)  # anything may have happened while we were not listening
                    self._changed(USERS_CHANNEL)
                    self._connected.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._changed(note.channel)
            except Exception as exc:  # noqa: BLE001 - the listener must survive a database restart
                log.warning("change listener disconnected (%s); retrying in %.1f s", exc, self._retry_seconds)
            finally:
                self._connected.clear()
            self._stop.wait(self._retry_seconds)

    def _changed(self, channel: str) -> None:
        if channel not in self._received:
            return
        with _lock:
            self._received[channel] += 1
        if self._on_change is not None:
            self._on_change(channel)


def sqlalchemy_to_conninfo(url: str) -> str:
    """A libpq URI from an SQLAlchemy URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


class CacheVersions:
    """The versions a process's caches are tagged with, before and after its listener starts.

    ``bars()`` is strict: without a connected listener another process's write could go unseen, so
    it returns a fresh object on every call (nothing cached is ever current). ``users()`` falls back to
    this process's own changes; the auth cache's short TTL bounds what another process revoked.
    """

    def __init__(self) -> None:
        self.listener: ChangeListener | None = None

    def bars(self) -> object:
        listener = self.listener
        if listener is None or not listener.connected:
            return object()
        return listener.version(BARS_CHANNEL)

    def users(self) -> object:
        listener = self.listener
        if listener is None or not listener.connected:
            return local_version(USERS_CHANNEL), None
        return listener.version(USERS_CHANNEL)
