"""SlidingWindows: the limits-style sliding-window counter, derived by hand for a 5-per-60-s limit."""

from __future__ import annotations

from api.rate_windows import SlidingWindows


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_requests_up_to_the_limit_pass_and_the_next_is_refused_until_the_window_ends():
    clock = Clock(600.0)  # the start of a 60 s window
    windows = SlidingWindows(clock)
    decisions = [windows.hit("k", 5, 60)[0] for _ in range(6)]
    clock.now = 610.0
    allowed, retry = windows.hit("k", 5, 60)
    assert decisions == [True] * 5 + [False]
    assert (allowed, retry) == (False, 50)  # 5 in the current window: only the next window admits more


def test_the_previous_window_counts_in_proportion_to_its_overlap():
    clock = Clock(600.0)
    windows = SlidingWindows(clock)
    for _ in range(5):
        windows.hit("k", 5, 60)
    clock.now = 690.0  # half-way through the next window: 5 x 0.5 = 2.5 still count
    decisions = [windows.hit("k", 5, 60)[0] for _ in range(3)]
    allowed, retry = windows.hit("k", 5, 60)
    # 2.5 + 1 <= 5, 3.5 + 1 <= 5, 4.5 + 1 > 5; admitted again once 5 x (1 - s) + 2 + 1 <= 5, i.e. s >= 0.6: 6 s
    assert decisions == [True, True, False]
    assert (allowed, retry) == (False, 6)


def test_a_window_two_periods_old_no_longer_counts_and_keys_are_independent():
    clock = Clock(600.0)
    windows = SlidingWindows(clock)
    for _ in range(5):
        windows.hit("a", 5, 60)
    other = windows.hit("b", 5, 60)[0]
    clock.now = 720.0
    assert other is True
    assert [windows.hit("a", 5, 60)[0] for _ in range(5)] == [True] * 5


def test_stale_keys_are_pruned():
    clock = Clock(600.0)
    windows = SlidingWindows(clock, prune_every=3)
    windows.hit("old", 5, 60)
    clock.now = 800.0
    windows.hit("x", 5, 60)
    windows.hit("y", 5, 60)  # the third hit prunes
    assert "old" not in windows._windows and {"x", "y"} <= set(windows._windows)
