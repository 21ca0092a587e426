#!/usr/bin/env python3
"""TA-Lib's time for the benchmark's five features (SMA 3/6/12 + RSI 14 + ATR 14) over N bars.

Usage: python3 scripts/bench_talib.py <kline csv> [bars=525600] [runs=7]
Needs `pip install TA-Lib==0.8.2 numpy`. The kline rows are repeated until there are N bars (as
quorum-bench's ComputeBench.bars does); prints the median wall time of one pass over all five
functions in milliseconds (a bare number on the last line), which `quorum-bench features` reads.
"""
import csv
import statistics
import sys
import time

import numpy as np
import talib


def main():
    path = sys.argv[1]
    bars = int(sys.argv[2]) if len(sys.argv) > 2 else 525_600
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    reps = -(-bars // len(rows))
    high = np.tile(np.array([float(r["high"]) for r in rows]), reps)[:bars]
    low = np.tile(np.array([float(r["low"]) for r in rows]), reps)[:bars]
    close = np.tile(np.array([float(r["close"]) for r in rows]), reps)[:bars]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        talib.SMA(close, timeperiod=3)
        talib.SMA(close, timeperiod=6)
        talib.SMA(close, timeperiod=12)
        talib.RSI(close, timeperiod=14)
        talib.ATR(high, low, close, timeperiod=14)
        times.append(time.perf_counter() - start)
    print(f"{statistics.median(times) * 1e3:.3f}")


if __name__ == "__main__":
    main()
