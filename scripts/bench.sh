#!/usr/bin/env bash
# `make bench`: the hot-path benchmarks on the release build. Prints markdown tables and keeps a
# copy in var/bench/<time>.md; docs/BENCHMARKS.md records a run with its machine and this command.
# BENCH_REPLAY_SPEED (default 30 bars/s) and BENCH_REPLAY_TO (default 2024-09-01) shape the
# pipeline run: the default replays August 2024 in about five minutes (the memory figure's duration).
set -euo pipefail
cd "$(dirname "$0")/.."
# The features ratio is measured against TA-Lib in the same run: install its wheel if missing
# (benchmarks only; tests never need Python packages beyond bootstrap's lightgbm).
if ! python3 -c "import talib, numpy" >/dev/null 2>&1; then
  echo "bench: installing pip packages TA-Lib==0.8.2 numpy (for the features ratio)"
  pip_args=(install -q --disable-pip-version-check --root-user-action=ignore "TA-Lib==0.8.2" numpy)
  python3 -m pip "${pip_args[@]}" 2>/dev/null || python3 -m pip "${pip_args[@]}" --break-system-packages \
    || echo "bench: TA-Lib did not install; the features ratio will say it was not measured" >&2
fi
mkdir -p var/bench
out="var/bench/$(date -u +%Y%m%dT%H%M%SZ).md"
.build/release/quorum-bench "${1:-all}" | tee "$out"
echo "bench: results in $out"
