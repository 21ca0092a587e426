#!/usr/bin/env python3
"""Independent reference for Quorum's order-flow features (docs/FEATURES.md, "Order-flow features").

Reads an hftbacktest spot capture (`<receive ns> <json>` lines, gzip; several files = one capture
read in order), rebuilds the book from the REST snapshot and the depth diffs by Binance's documented
procedure (BINANCE.md section 6: buffer, drop u <= lastUpdateId, first event must have
U <= lastUpdateId + 1, then U == previous u + 1), and computes every feature per bar with NumPy
from the formulas in docs/FEATURES.md. It shares no code with the Swift implementation; only the
documented definitions (including the order of summation, best level first, so that the arithmetic
is the same) are common.

Usage (numpy is the only dependency: `pip install numpy`):
    python3 scripts/orderflow_reference.py --freq 10s --out Tests/OrderFlowTests/Fixtures/orderflow_btcusdt_20240808_09_10s.csv \
        ../shared/data/orderbook/hftbacktest/spot/btcusdt_20240808.gz ../shared/data/orderbook/hftbacktest/spot/btcusdt_20240809.gz
"""
import argparse
import gzip
import heapq
import json
import math
import re

import numpy as np

TOP = 20                # levels per side for pressure, slope and walls
BAND_BPS = 10.0         # half-width of the depth band
FIXED = ["level1_imbalance", "bid_pressure", "ask_pressure", "bid_slope", "ask_slope",
         "bid_wall_count", "ask_wall_count", "effective_spread", "quoted_spread_bps", "microprice_dev",
         "ofi", "trade_imbalance", "depth_bid_10bps", "depth_ask_10bps", "book_update_rate", "mid_return"]
# Book-state quantities that are time-weighted (after the imbalances), in this order.
STATE = ["level1_imbalance", "bid_pressure", "ask_pressure", "bid_slope", "ask_slope", "bid_wall_count",
         "ask_wall_count", "quoted_spread_bps", "microprice_dev", "depth_bid_10bps", "depth_ask_10bps", "level1_depth"]


def parse_freq(text):
    m = re.fullmatch(r"(\d*)(ms|L|s|S|sec|m|T|min|h|H|d|D)", text)
    if not m:
        raise SystemExit(f"bad freq {text!r}")
    unit = {"ms": 1, "L": 1, "s": 1000, "S": 1000, "sec": 1000, "m": 60000, "T": 60000, "min": 60000,
            "h": 3600000, "H": 3600000, "d": 86400000, "D": 86400000}[m.group(2)]
    return int(m.group(1) or "1") * unit


def records(paths):
    """(kind, object) in file order: ('snapshot', body) or ('stream', data) with the stream name."""
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                _, body = line.split(" ", 1)
                obj = json.loads(body)
                if "lastUpdateId" in obj:
                    yield "snapshot", obj
                else:
                    yield "stream", obj["data"]


class Book:
    """Price (float) -> quantity (float) per side."""

    def __init__(self, snapshot):
        self.bids = {float(p): float(q) for p, q in snapshot["bids"] if float(q) != 0}
        self.asks = {float(p): float(q) for p, q in snapshot["asks"] if float(q) != 0}
        self.last = snapshot["lastUpdateId"]

    def apply(self, diff):
        for side, levels in ((self.bids, diff["b"]), (self.asks, diff["a"])):
            for p, q in levels:
                p, q = float(p), float(q)
                if q == 0:
                    side.pop(p, None)
                else:
                    side[p] = q
        self.last = diff["u"]

    def top(self, n):
        bp = np.array(heapq.nlargest(n, self.bids), dtype=np.float64)
        ap = np.array(heapq.nsmallest(n, self.asks), dtype=np.float64)
        bq = np.array([self.bids[p] for p in bp], dtype=np.float64)
        aq = np.array([self.asks[p] for p in ap], dtype=np.float64)
        return bp, bq, ap, aq


def seqsum(a):
    """Left-to-right sum (np.cumsum is sequential; np.sum is pairwise)."""
    return float(np.cumsum(a)[-1]) if len(a) else 0.0


def measures(book, depths):
    """Instantaneous values: imbalance_k per depth, then STATE; plus (mid, best bid, best ask, qb1, qa1)."""
    bp, bq, ap, aq = book.top(max(TOP, max(depths)))
    n_out = len(depths) + len(STATE)
    if len(bp) == 0 or len(ap) == 0:
        return np.full(n_out, np.nan), (math.nan, None, None, math.nan, math.nan)
    b1, a1, qb1, qa1 = bp[0], ap[0], bq[0], aq[0]
    mid = (b1 + a1) * 0.5
    out = []
    for k in depths:
        sb, sa = seqsum(bq[:k]), seqsum(aq[:k])
        out.append((sb - sa) / (sb + sa))
    s = {"level1_imbalance": (qb1 - qa1) / (qb1 + qa1)}
    nb, na = min(TOP, len(bp)), min(TOP, len(ap))
    xb = (mid - bp[:nb]) / mid * 10000.0     # distance from mid, bps
    xa = (ap[:na] - mid) / mid * 10000.0
    wb = seqsum(bq[:nb] / (1 + xb))
    wa = seqsum(aq[:na] / (1 + xa))
    s["bid_pressure"] = wb / (wb + wa)
    s["ask_pressure"] = wa / (wb + wa)

    def slope(x, q):
        n = len(x)
        if n < 2:
            return math.nan
        y = np.cumsum(q)
        xm, ym = seqsum(x) / n, seqsum(y) / n
        dx = x - xm
        sxx = seqsum(dx * dx)
        return seqsum(dx * (y - ym)) / sxx if sxx > 0 else math.nan

    s["bid_slope"] = slope(xb, bq[:nb])
    s["ask_slope"] = slope(xa, aq[:na])

    def walls(q):
        n = len(q)
        if n == 0:
            return math.nan
        srt = np.sort(q)
        med = srt[n // 2] if n % 2 else (srt[n // 2 - 1] + srt[n // 2]) * 0.5
        return float(np.count_nonzero(q > 5.0 * med))

    s["bid_wall_count"] = walls(bq[:nb])
    s["ask_wall_count"] = walls(aq[:na])
    s["quoted_spread_bps"] = (a1 - b1) / mid * 10000.0
    micro = (b1 * qa1 + a1 * qb1) / (qb1 + qa1)
    s["microprice_dev"] = (micro - mid) / mid
    band = mid * (BAND_BPS / 10000.0)
    lo, hi = mid - band, mid + band
    pb = np.array(sorted((p for p in book.bids if p >= lo), reverse=True), dtype=np.float64)
    pa = np.array(sorted(p for p in book.asks if p <= hi), dtype=np.float64)
    s["depth_bid_10bps"] = seqsum(pb * np.array([book.bids[p] for p in pb]))
    s["depth_ask_10bps"] = seqsum(pa * np.array([book.asks[p] for p in pa]))
    s["level1_depth"] = (qb1 + qa1) * 0.5
    out += [s[name] for name in STATE]
    return np.array(out, dtype=np.float64), (mid, b1, a1, qb1, qa1)


class Aggregator:
    def __init__(self, depths, freq_ms):
        self.depths, self.F = depths, freq_ms
        self.n = len(depths) + len(STATE)
        self.book = None          # loaded book
        self.valid = False        # timed by a diff since the load
        self.cur = np.full(self.n, np.nan)
        self.top = (math.nan, None, None, math.nan, math.nan)
        self.clock = None
        self.open = None
        self.rows = []

    def eff(self, ms):
        if self.clock is None or ms > self.clock:
            self.clock = ms
        return self.clock

    def start(self, open_ms):
        self.open = open_ms
        self.acc = np.zeros(self.n)
        self.invalid = not self.valid
        self.mid_open = self.top[0] if self.valid else math.nan
        self.diffs = self.trades = 0
        self.ofi = self.buy = self.sell = self.es_sum = 0.0
        self.es_n = 0
        self.state_t = open_ms

    def accumulate(self, t):
        dt = t - self.state_t
        if dt > 0:
            self.acc = self.acc + self.cur * float(dt)
            self.state_t = t

    def close(self):
        end = self.open + self.F
        if self.valid:
            self.accumulate(end)
        ok = self.valid and not self.invalid
        L = float(self.F)
        k = len(self.depths)
        mean = {name: (self.acc[k + i] / L if ok else math.nan) for i, name in enumerate(STATE)}
        v = {}
        v["effective_spread"] = self.es_sum / self.es_n if ok and self.es_n > 0 else math.nan
        v["ofi"] = self.ofi / mean["level1_depth"] if ok else math.nan
        v["trade_imbalance"] = (self.buy - self.sell) / (self.buy + self.sell) if self.trades > 0 else math.nan
        v["book_update_rate"] = self.diffs / (L / 1000.0) if ok else math.nan
        v["mid_return"] = math.log(self.top[0] / self.mid_open) if ok else math.nan
        row = [self.acc[i] / L if ok else math.nan for i in range(k)]
        row += [mean[name] if name in mean else v[name] for name in FIXED]
        self.rows.append((self.open, row, ok, self.diffs, self.trades))

    def advance(self, t):
        if self.open is None:
            self.start(t - t % self.F)
            return
        while t >= self.open + self.F:
            self.close()
            self.start(self.open + self.F)

    def load(self, book):
        self.book, self.valid, self.invalid = book, False, True

    def diff(self, d):
        t = self.eff(d["E"])
        self.advance(t)
        was = self.valid
        if was:
            self.accumulate(t)
        _, ob, oa, oqb, oqa = self.top
        self.book.apply(d)
        self.cur, self.top = measures(self.book, self.depths)
        if self.top[1] is not None and self.top[1] >= self.top[2]:
            raise SystemExit("crossed book: the reference does not model resyncs")
        self.diffs += 1
        if was:
            _, nb, na, qb, qa = self.top
            e_b = qb if nb > ob else (qb - oqb if nb == ob else -oqb)
            e_a = qa if na < oa else (qa - oqa if na == oa else -oqa)
            self.ofi += e_b - e_a
        else:
            self.valid, self.state_t, self.invalid = True, t, True

    def trade(self, tr):
        t = self.eff(tr["E"])
        self.advance(t)
        self.trades += 1
        q = float(tr["q"])
        if tr["m"]:
            self.sell += q
        else:
            self.buy += q
        mid = self.top[0]
        if self.valid and math.isfinite(mid):
            self.es_sum += 2 * abs(float(tr["p"]) - mid) / mid
            self.es_n += 1


def run(paths, depths, freq_ms):
    agg = Aggregator(depths, freq_ms)
    buffered, synced = [], False
    for kind, obj in records(paths):
        if kind == "snapshot":
            if synced:
                continue
            last = obj["lastUpdateId"]
            if buffered and last < buffered[0]["U"]:
                raise SystemExit("snapshot too old: not modelled")
            buffered = [d for d in buffered if d["u"] > last]
            book = Book(obj)
            if buffered:
                if buffered[0]["U"] > last + 1:
                    raise SystemExit("first event does not follow the snapshot: not modelled")
                agg.load(book)
                synced = True
                for d in buffered:
                    agg.diff(d)
                buffered = []
            else:
                agg.load(book)   # synced at the next diff
                synced = True
            continue
        e = obj.get("e")
        if e == "depthUpdate":
            if not synced:
                buffered.append(obj)
                continue
            if obj["u"] <= agg.book.last:
                continue
            if obj["U"] > agg.book.last + 1:
                raise SystemExit("gap: the reference does not model resyncs")
            agg.diff(obj)
        elif e in ("trade", "aggTrade"):
            agg.trade(obj)
    return agg.rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--freq", default="10s")
    ap.add_argument("--depths", default="5,10,20")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    depths = [int(x) for x in a.depths.split(",")]
    rows = run(a.files, depths, parse_freq(a.freq))
    names = [f"imbalance_{k}" for k in depths] + FIXED
    with open(a.out, "w") as f:
        f.write("open_time," + ",".join(names) + ",book_valid,diffs,trades\n")
        for open_ms, row, ok, diffs, trades in rows:
            f.write(f"{open_ms}," + ",".join("nan" if math.isnan(x) else repr(float(x)) for x in row)
                    + f",{int(ok)},{diffs},{trades}\n")
    print(f"{a.out}: {len(rows)} bars, {sum(1 for r in rows if r[2])} with a valid book")


if __name__ == "__main__":
    main()
