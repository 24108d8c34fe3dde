"""Weight bounds and group caps: validation and the final projection of solver output.

Solvers return weights that meet their constraints only to solver tolerance (1e-8 or so); the
projection here makes the sum exactly 1 (within 1e-12) while staying inside the bounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from errors import ConfigError

_ZERO_WEIGHT = 1e-10


@dataclass(frozen=True)
class GroupCap:
    """At most ``max_weight`` (fraction) in total across ``symbols``."""

    name: str
    symbols: tuple[str, ...]
    max_weight: float


def check_bounds(weight_bounds: tuple[float, float], n_assets: int) -> tuple[float, float]:
    """Validate (lower, upper) per-asset weight bounds; raise ConfigError when no portfolio fits."""
    try:
        lower, upper = float(weight_bounds[0]), float(weight_bounds[1])
    except (TypeError, IndexError, ValueError) as exc:
        raise ConfigError(f"weight_bounds must be a (lower, upper) pair, got {weight_bounds!r}") from exc
    if lower > upper:
        raise ConfigError(f"weight_bounds lower {lower} exceeds upper {upper}")
    if n_assets * upper < 1 - 1e-12 or n_assets * lower > 1 + 1e-12:
        raise ConfigError(f"weight_bounds ({lower}, {upper}) cannot sum to 1 over {n_assets} assets")
    return lower, upper


def parse_group_caps(
    group_caps: Mapping[str, tuple[Iterable[str], float]] | None, symbols: Sequence[str]
) -> list[GroupCap]:
    """``{group: (member symbols, max total weight)}`` → GroupCaps; unknown members raise ConfigError."""
    if not group_caps:
        return []
    known = set(symbols)
    caps = []
    for name, spec in group_caps.items():
        try:
            members, max_weight = spec
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"group_caps[{name!r}] must be (symbols, max_weight), got {spec!r}") from exc
        members = tuple(str(s) for s in members)
        unknown = sorted(set(members) - known)
        if unknown:
            raise ConfigError(f"group_caps[{name!r}] names unknown symbols {unknown}")
        if not 0.0 <= float(max_weight) <= 1.0:
            raise ConfigError(f"group_caps[{name!r}] max_weight {max_weight} must be in [0, 1]")
        caps.append(GroupCap(str(name), members, float(max_weight)))
    return caps


def finalise_weights(raw: pd.Series, lower: float, upper: float) -> dict[str, float]:
    """Clip to [lower, upper], then spread the residual over assets with slack so the sum is 1."""
    w = np.clip(raw.to_numpy(dtype="float64"), lower, upper)
    if lower <= 0.0 <= upper:
        w[np.abs(w) < _ZERO_WEIGHT] = 0.0
    for _ in range(20):
        residual = 1.0 - w.sum()
        if abs(residual) <= 1e-13:
            break
        slack = (upper - w) if residual > 0 else (w - lower)
        total_slack = slack.sum()
        if total_slack <= 0:
            break
        w = np.clip(w + residual * slack / total_slack, lower, upper)
    return {str(s): float(x) for s, x in zip(raw.index, w, strict=True)}
