"""One set of defaults per research operation. The CLI, the agents' tools, the API and the web page all take
these, so the same question gets the same answer from every interface (e.g. an optimisation looks back over
the same sessions whether it was asked in chat or on the command line)."""

from __future__ import annotations

OPTIMIZE_LOOKBACK_DAYS = 756  # sessions of closes an optimisation estimates from (three years)
WALK_FORWARD_IN_SAMPLE_DAYS = 252  # bars each fold chooses its parameters on
WALK_FORWARD_OUT_OF_SAMPLE_DAYS = 63  # bars each fold then trades
WALK_FORWARD_WINDOW = "rolling"
MONTE_CARLO_PATHS = 10_000
MONTE_CARLO_METHOD = "returns"
GRID_OBJECTIVE = "sharpe"
GRID_TOP = 5
