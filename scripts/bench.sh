#!/usr/bin/env bash
# `make bench`: the hot-path benchmarks on the release build. Prints markdown tables and keeps a
# copy in var/bench/<time>.md; docs/BENCHMARKS.md records a run with its machine and this command.
# BENCH_REPLAY_SPEED (default 30 bars/s) and BENCH_REPLAY_TO (default 2024-09-01) shape the
# pipeline run: the default replays August 2024 in about five minutes (the memory figure's duration).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/bench
out="var/bench/$(date -u +%Y%m%dT%H%M%SZ).md"
.build/release/quorum-bench "${1:-all}" | tee "$out"
echo "bench: results in $out"
