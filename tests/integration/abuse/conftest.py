"""Abuse resistance on the real app and database: settings made small by environment (as an operator would
set them), the API's keys and synthetic bars."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import END, START, auth, keys, loaded, make_settings  # noqa: F401

__all__ = ["END", "START", "auth", "make_settings"]


@pytest.fixture()
def configure(monkeypatch):
    """``configure(QUANTPILOT_X="1", ...)``: set product settings for this test (re-read by ``get_settings``)."""
    from config import get_settings

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()
