#!/usr/bin/env python3
"""Writes TA-Lib's own output on real, gap-free klines as a test fixture (tests need no Python).

Usage (once, from the repository root):
    pip install TA-Lib==0.8.2 numpy
    python3 scripts/talib_reference.py [--eth ../shared/data/klines/ETHUSDT-1m.csv]

Reads the first 2,500 bars of data/sample/BTCUSDT-5m-2024-07-08.csv (a committed slice of the real
Binance data, gap-free) and, when --eth is given and the file exists, the first gap-free 1,500 bars
of ETHUSDT 1m. Writes Tests/CoreTests/Fixtures/talib_reference.csv: one row per bar with the
inputs (open_time, high, low, close, volume as written in the kline file) and one column per TA-Lib call,
named as Quorum names the feature (`close_SMA_3`, `high_low_close_ATR_14`, ...). Values are written
with repr (17 significant digits, round-trip exact); an undefined value is written as `nan`.
The `series` column names the source slice. Checked by IndicatorTests.matchesTALibReferenceFixture.
"""
import argparse
import csv
import os
import sys

import numpy as np
import talib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Bars per slice: BTCUSDT 5m (the committed sample) and ETHUSDT 1m (../shared); the fixture stays < 2 MB.
BARS = {"BTCUSDT-5m": 2500, "ETHUSDT-1m": 1500}

# (feature name, TA-Lib function, inputs, window)
CALLS = [
    ("close_SMA_3", "SMA", ["close"], 3),
    ("close_SMA_12", "SMA", ["close"], 12),
    ("close_EMA_12", "EMA", ["close"], 12),
    ("close_WMA_10", "WMA", ["close"], 10),
    ("close_STDDEV_20", "STDDEV", ["close"], 20),
    ("close_STDDEV_5", "STDDEV", ["close"], 5),
    ("close_LINEARREG_SLOPE_14", "LINEARREG_SLOPE", ["close"], 14),
    ("close_LINEARREG_SLOPE_60", "LINEARREG_SLOPE", ["close"], 60),
    ("close_RSI_14", "RSI", ["close"], 14),
    ("close_RSI_6", "RSI", ["close"], 6),
    ("high_low_close_ATR_14", "ATR", ["high", "low", "close"], 14),
    ("high_low_close_ATR_1", "ATR", ["high", "low", "close"], 1),
    ("high_low_close_NATR_14", "NATR", ["high", "low", "close"], 14),
    ("close_MOM_10", "MOM", ["close"], 10),
    ("close_ROC_10", "ROC", ["close"], 10),
    ("close_ROC_1", "ROC", ["close"], 1),
    ("high_low_close_ADX_14", "ADX", ["high", "low", "close"], 14),
    ("high_low_close_ADX_5", "ADX", ["high", "low", "close"], 5),
    ("high_low_close_CCI_14", "CCI", ["high", "low", "close"], 14),
    ("high_low_close_CCI_20", "CCI", ["high", "low", "close"], 20),
    ("volume_SMA_12", "SMA", ["volume"], 12),
]


def read(path, interval_ms, bars):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    # The first BARS consecutive rows (no missing open time).
    start = 0
    for i in range(1, len(rows)):
        if int(rows[i]["open_time"]) - int(rows[i - 1]["open_time"]) != interval_ms:
            start = i
        if i - start + 1 == bars:
            return rows[start:i + 1]
    sys.exit(f"{path}: no {bars} consecutive bars")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--eth", default=os.path.join(ROOT, "..", "shared", "data", "klines", "ETHUSDT-1m.csv"))
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests", "CoreTests", "Fixtures", "talib_reference.csv"))
    args = parser.parse_args()
    slices = [("BTCUSDT-5m", read(os.path.join(ROOT, "data", "sample", "BTCUSDT-5m-2024-07-08.csv"), 300_000, BARS["BTCUSDT-5m"]))]
    if os.path.exists(args.eth):
        slices.append(("ETHUSDT-1m", read(args.eth, 60_000, BARS["ETHUSDT-1m"])))
    else:
        print(f"note: {args.eth} not found, only the BTCUSDT sample is written", file=sys.stderr)

    columns = ["series", "open_time", "high", "low", "close", "volume"] + [c[0] for c in CALLS]
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for series, rows in slices:
            data = {k: np.array([float(r[k]) for r in rows], dtype=np.float64) for k in ("open", "high", "low", "close", "volume")}
            outputs = []
            for name, function, inputs, window in CALLS:
                fn = getattr(talib, function)
                outputs.append(fn(*[data[k] for k in inputs], timeperiod=window))
            for i, r in enumerate(rows):
                w.writerow([series, r["open_time"], r["high"], r["low"], r["close"], r["volume"]]
                           + [repr(float(o[i])) for o in outputs])
    print(f"wrote {args.out}: {sum(len(s[1]) for s in slices)} rows × {len(CALLS)} functions (TA-Lib {talib.__ta_version__.decode()})")


if __name__ == "__main__":
    main()
