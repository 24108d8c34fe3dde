"""Boundary doubles for crash injection: an outbox that dies at a chosen call, before or after writing."""

from __future__ import annotations

from quant.execution.exactly_once import InMemoryOrderOutbox


class Crash(Exception):
    """The process died here (not a QuantpilotError: nothing in the code under test may catch it)."""


class CrashingOutbox(InMemoryOrderOutbox):
    """Raises ``Crash`` on the ``nth`` call of ``method``, either before or after the write took effect."""

    def __init__(self, method: str, *, after_write: bool, nth: int = 1) -> None:
        super().__init__()
        self.method, self.after_write, self.remaining = method, after_write, nth
        self.armed = True

    def _maybe_crash(self, method: str, before: bool) -> None:
        if self.armed and method == self.method and before != self.after_write:
            self.remaining -= 1
            if self.remaining == 0:
                self.armed = False
                raise Crash(f"crash {'after' if self.after_write else 'before'} {method}")

    def record_intent(self, intent):
        self._maybe_crash("record_intent", True)
        out = super().record_intent(intent)
        self._maybe_crash("record_intent", False)
        return out

    def mark_submitted(self, client_order_id):
        self._maybe_crash("mark_submitted", True)
        out = super().mark_submitted(client_order_id)
        self._maybe_crash("mark_submitted", False)
        return out

    def mark_result(self, client_order_id, order):
        self._maybe_crash("mark_result", True)
        out = super().mark_result(client_order_id, order)
        self._maybe_crash("mark_result", False)
        return out
