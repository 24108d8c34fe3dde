#!/usr/bin/env bash
# Run every peer benchmark one after another (never in parallel: the figures are wall-clock
# medians) and collect their JSON lines in bench-results/peers.jsonl. Extra arguments (--quick)
# are passed to every script. benchmarks/run_all.py runs the same modules itself.
# Needs .venv-peers:  make -f Makefile.bench bench-peers-venv
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench-results
out=bench-results/peers.jsonl
: > "$out"
for module in indicators vectorbt_sma backtrader_sma; do
  .venv-peers/bin/python -W ignore -m "benchmarks.peers.$module" "$@" | tee -a "$out"
done
