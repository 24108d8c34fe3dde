"""Parameter ranges as written on the command line: inclusive, and value for value what numpy's arange gives
(the parser no longer imports numpy, so a command reads its arguments without it)."""

from __future__ import annotations

import numpy as np
import pytest

from errors import ConfigError
from services.research import parse_range


def _by_numpy(spec: str) -> list:
    start, stop, step = (float(p) for p in spec.split(":"))
    return [int(v) if float(v).is_integer() else float(v) for v in np.arange(start, stop + step / 2, step)]


@pytest.mark.parametrize("spec", ["5:50:5", "20:200:10", "0.1:0.5:0.1", "1:1:1", "-37:-15.2:7.612",
                                  "43.915:111.015:7.3", "26.37:79.47:2.3", "0.05:0.95:0.05", "1e-3:0.01:1e-3"])
def test_a_start_stop_step_range_matches_numpy_value_for_value(spec):
    assert parse_range(spec) == _by_numpy(spec)


def test_lists_and_single_values():
    assert parse_range("3,7,9") == [3, 7, 9] and parse_range("14") == [14] and parse_range("0.5") == [0.5]


@pytest.mark.parametrize("spec", ["5:1:1", "1:5", "1:5:0", "1:5:-1", "a:b:c", "", " , ", "1:inf:1"])
def test_a_bad_or_empty_range_is_refused_by_name(spec):
    with pytest.raises(ConfigError, match="range"):
        parse_range(spec)
