"""What the resident research process watches about itself: whether the code it loaded is still the code on disk,
and how much memory it holds (it ends rather than answer with old code or grow without bound)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys


class CodeOnDisk:
    """The stamp (mtime, size) of every loaded module's file; ``changed`` when any file differs or is gone, so a
    process never answers with code older than what a new command would import."""

    def __init__(self) -> None:
        self._stamps: dict[str, tuple[int, int]] = {}
        self.add_loaded()

    def add_loaded(self) -> None:
        """Record the modules loaded since the last call (a request may import more)."""
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and path not in self._stamps:
                with contextlib.suppress(OSError):
                    stat = os.stat(path)
                    self._stamps[path] = (stat.st_mtime_ns, stat.st_size)

    def changed(self) -> str | None:
        """The first loaded file that changed on disk, or None."""
        for path, stamp in self._stamps.items():
            try:
                stat = os.stat(path)
            except OSError:
                return path
            if (stat.st_mtime_ns, stat.st_size) != stamp:
                return path
        return None


def resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_resident_mb() -> float | None:
    """The most this process has held resident (VmHWM), MB."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def give_back_memory() -> None:
    """Return freed heap to the OS after a request (glibc keeps it otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
