"""The session cookie codec: what it signs comes back; anything altered, foreign or expired does not."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.web.session import SessionCodec


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_signed_cookie_round_trips():
    codec = SessionCodec(b"k" * 32, 3600, clock=Clock(1_000_000))

    data = codec.decode(codec.encode("alice", "abc123def456", "csrf-token"))

    assert (data["u"], data["k"], data["c"]) == ("alice", "abc123def456", "csrf-token")


def test_a_cookie_expires_after_max_age():
    clock = Clock(1_000_000)
    codec = SessionCodec(b"k" * 32, 3600, clock=clock)
    cookie = codec.encode("alice", "abc123def456", "t")

    clock.now += 3601

    assert codec.decode(cookie) is None


def test_a_cookie_signed_with_another_secret_is_refused():
    cookie = SessionCodec(b"a" * 32, 3600).encode("alice", "abc123def456", "t")

    assert SessionCodec(b"b" * 32, 3600).decode(cookie) is None


@given(position=st.integers(min_value=0), replacement=st.sampled_from("ABCxyz019-_."))
def test_changing_any_character_of_a_cookie_invalidates_it(position, replacement):
    codec = SessionCodec(b"k" * 32, 3600, clock=Clock(1_000_000))
    cookie = codec.encode("alice", "abc123def456", "csrf")
    i = position % len(cookie)
    altered = cookie[:i] + replacement + cookie[i + 1:]

    if altered != cookie:
        assert codec.decode(altered) is None
