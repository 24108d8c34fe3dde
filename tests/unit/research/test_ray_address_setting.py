"""`QUANTPILOT_RAY_ADDRESS` reaches Ray runs that name no cluster, and only those."""

from __future__ import annotations

import pytest

from config import get_settings
from services.research.service import _with_ray_address


@pytest.fixture
def configured_cluster(monkeypatch):
    monkeypatch.setenv("QUANTPILOT_RAY_ADDRESS", "ray://head.example:10001")
    get_settings.cache_clear()
    yield "ray://head.example:10001"
    get_settings.cache_clear()


def test_a_ray_run_without_an_address_uses_the_configured_cluster(configured_cluster):
    assert _with_ray_address({"executor": "ray", "ray_address": None})["ray_address"] == configured_cluster


def test_an_explicit_address_wins_over_the_setting(configured_cluster):
    options = {"executor": "ray", "ray_address": "ray://other:10001"}
    assert _with_ray_address(options)["ray_address"] == "ray://other:10001"


def test_other_executors_are_left_alone(configured_cluster):
    assert "ray_address" not in _with_ray_address({"executor": "process"})
