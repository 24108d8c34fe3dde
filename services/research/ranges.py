"""Parameter ranges as people write them on the command line (no numpy, so a command parses them at once)."""

from __future__ import annotations

import math

from errors import ConfigError


def parse_range(spec: str) -> list[int | float]:
    """``"5:50:5"`` → [5, 10, …, 50] (inclusive); ``"3,7,9"`` → [3, 7, 9]; ``"14"`` → [14]."""
    try:
        if ":" in spec:
            parts = [float(p) for p in spec.split(":")]
            if len(parts) != 3 or parts[2] <= 0:
                raise ValueError
            start, stop, step = parts
            values = _arange(start, stop + step / 2, step)
        else:
            values = [float(p) for p in spec.split(",") if p.strip()]
    except (ValueError, OverflowError):
        raise ConfigError(f"bad range {spec!r}: use start:stop:step (inclusive) or a,b,c") from None
    if not values:
        raise ConfigError(f"empty range {spec!r}")
    return [int(v) if float(v).is_integer() else float(v) for v in values]


def _arange(start: float, stop: float, step: float) -> list[float]:
    """numpy's ``arange(start, stop, step)`` in floats, value for value: numpy computes the first two values,
    then fills ``start + i * delta`` with ``delta`` their difference (not ``step``: it may round differently)."""
    count = max(0, math.ceil((stop - start) / step))
    if count <= 2:
        return [start, start + step][:count]
    delta = (start + step) - start
    return [start, start + step, *(start + i * delta for i in range(2, count))]
