#!/usr/bin/env bash
# The demo: trains the demo model if absent, then runs the whole suite in shadow mode with
# `quorum demo` (the compose file as local processes) and prints progress and a summary.
# Called by `make demo` after bootstrap and the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
"$BIN/quorum" train --data data/sample/BTCUSDT-5m-2024-07-08.csv --from 2024-07-01 --to 2024-08-01 \
  --features close_SMA_3,close_SMA_6,close_SMA_12,close_RSI_14,high_low_close_ATR_14 --label high_030_4 \
  --models models --if-absent
# The aggressive division's model: the same label with the hour's volatility (vol_sigma) added.
"$BIN/quorum" train --data data/sample/BTCUSDT-5m-2024-07-08.csv --from 2024-07-01 --to 2024-08-01 \
  --features close_SMA_3,close_SMA_6,close_SMA_12,close_RSI_14,high_low_close_ATR_14,vol_sigma --label high_030_4 \
  --name logreg-vol-high_030_4 --models models --if-absent
exec "$BIN/quorum" demo --bin "$BIN" --speed "${DEMO_SPEED:-250}" "$@"
