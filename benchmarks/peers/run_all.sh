#!/usr/bin/env bash
# Run every peer benchmark one after another (never in parallel: the figures are wall-clock
# medians) and collect their JSON lines in bench-results/peers.jsonl.
# Needs .venv-peers:  PYENV_VERSION=3.12.1 python3.12 -m venv .venv-peers
#                     .venv-peers/bin/pip install -r benchmarks/requirements-peers.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench-results
out=bench-results/peers.jsonl
: > "$out"
for module in indicators vectorbt_sma backtrader_sma; do
  .venv-peers/bin/python -W ignore -m "benchmarks.peers.$module" | tee -a "$out"
done
