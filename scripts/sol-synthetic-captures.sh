#!/usr/bin/env bash
# Multi-day SOLUSDT order-book captures for the SOL order-flow seed config, made by
# `quorum collect-book` against the exchange simulator replaying the real SOLUSDT 5m klines fast.
# THE BOOKS ARE SYNTHETIC: the simulator draws its L2 book and trades around the klines. Research
# on them tests the pipeline, not the strategy (the report says so and gives no verdict; every
# capture file has a .source.json beside it saying where it came from).
#
#   scripts/sol-synthetic-captures.sh                       # 3 days from 2025-06-01 into var/sol-synthetic
#   START=2025-01-10 DAYS=5 BOOK_STEP_MS=30000 SPEED=20000 scripts/sol-synthetic-captures.sh
#   quorum pipeline -c ../shared/configs/seed/sol_5m_gcp_orderflow.jsonc \
#       --klines ../shared/data/klines/SOLUSDT-5m.csv --base-dir var/sol-synthetic \
#       --window-days 2 --train-days 1 --step-days 1 --budget-hours 0.01
#
# The config's orderbook_pattern (DATA_ORDERBOOK/SOLUSDT_orderbook_*.parquet) resolves, under
# --base-dir, to the capture-SOLUSDT-<day>.jsonl files written here (one per UTC day of market time).
#
# Environment: START (YYYY-MM-DD, inside the kline file's coverage; default 2025-06-01), DAYS (3),
# SPEED (market seconds per wall second, 3000: a day in ~29 s), BOOK_STEP_MS (market time between
# book steps, 5000 = the simulator's default for 5m bars), KLINES, OUT_BASE (var/sol-synthetic),
# PORT (18090), BIN (the build's bin folder; default `swift build --show-bin-path`).
#
# The simulator's clock runs at SPEED whether or not it keeps up: SPEED × 1000 / BOOK_STEP_MS book
# steps per wall second must stay within what it can process (about 1,000 in a debug build on a
# shared 2-core machine; more in a release build). Beyond that it falls behind, REST snapshots time
# out and the recorder loses the stream. Coarser steps (BOOK_STEP_MS=30000) allow 6x the SPEED.
set -euo pipefail
cd "$(dirname "$0")/.."

START=${START:-2025-06-01}
DAYS=${DAYS:-3}
SPEED=${SPEED:-3000}
BOOK_STEP_MS=${BOOK_STEP_MS:-5000}
KLINES=${KLINES:-../shared/data/klines/SOLUSDT-5m.csv}
OUT_BASE=${OUT_BASE:-var/sol-synthetic}
PORT=${PORT:-18090}
BIN=${BIN:-$(swift build --show-bin-path)}
OUT="$OUT_BASE/DATA_ORDERBOOK"

[ -f "$KLINES" ] || { echo "no kline file $KLINES (set KLINES=...)" >&2; exit 2; }
for exe in quorum quorum-exchange-sim; do
    [ -x "$BIN/$exe" ] || { echo "$BIN/$exe is missing: swift build --product $exe" >&2; exit 2; }
done
UNTIL=$(date -u -d "$START + $DAYS days" +%Y-%m-%d)
mkdir -p "$OUT"
LOG="$OUT_BASE/simulator.log"

# The simulator starts with its clock stopped, so no market time passes before the recorder listens.
"$BIN/quorum-exchange-sim" --klines "$KLINES" --port "$PORT" --speed 0 --start "$START" \
    --book-step-ms "$BOOK_STEP_MS" --log-level warning >"$LOG" 2>&1 &
SIM=$!
stop_simulator() {
    kill "$SIM" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$SIM" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$SIM" 2>/dev/null || true
}
trap stop_simulator EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/sim/state" >/dev/null && break
    sleep 0.1
done

# A wall-clock limit only as a safety net: the recording ends at --until (market time).
LIMIT=$(( DAYS * 86400 * 3 / SPEED + 120 ))
"$BIN/quorum" collect-book --symbols SOLUSDT --until "$UNTIL" --duration "${LIMIT}s" \
    --out "$OUT" --binance "sim:$PORT" &
REC=$!
for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$PORT/sim/state" | grep -q '"connections":[1-9]' && break
    sleep 0.1
done
curl -sf -X POST -H 'content-type: application/json' -d "{\"speed\": $SPEED}" "http://127.0.0.1:$PORT/sim/clock" >/dev/null
echo "simulator: SOLUSDT from $START, $DAYS days of market time at ${SPEED}x (book step $BOOK_STEP_MS ms); recording into $OUT"
wait $REC
ls -l "$OUT"
FILES=$(ls "$OUT"/capture-SOLUSDT-*.jsonl 2>/dev/null | wc -l)
if [ "$FILES" -lt "$DAYS" ]; then
    echo "only $FILES of $DAYS day files: the simulator fell behind (lower SPEED or raise BOOK_STEP_MS; see $LOG)" >&2
    exit 1
fi
