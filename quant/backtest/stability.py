"""How stable walk-forward parameter choices were across folds."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ParameterStability:
    """For one parameter: how often each value was chosen, the modal value and its share of folds,
    how many times the choice changed between consecutive folds, and for numeric values the
    dispersion (std / mean of the chosen values; NaN otherwise)."""

    name: str
    counts: dict[str, int]
    most_common: Any
    most_common_share: float
    changes: int
    mean: float
    std: float
    dispersion: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


def parameter_stability(chosen: Sequence[dict[str, Any]]) -> tuple[ParameterStability, ...]:
    """Stability of each parameter over the per-fold choices ``chosen`` (in fold order)."""
    names = list(dict.fromkeys(name for params in chosen for name in params))
    out = []
    for name in names:
        values = [params.get(name) for params in chosen]
        counts = Counter(values)
        mode, top = counts.most_common(1)[0]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        mean = std = dispersion = math.nan
        if numeric and values:
            mean = sum(values) / len(values)
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
            dispersion = std / abs(mean) if mean else math.nan
        out.append(ParameterStability(name=name, counts={str(k): c for k, c in counts.items()}, most_common=mode,
                                      most_common_share=top / len(values),
                                      changes=sum(a != b for a, b in zip(values, values[1:], strict=False)),
                                      mean=mean, std=std, dispersion=dispersion))
    return tuple(out)
