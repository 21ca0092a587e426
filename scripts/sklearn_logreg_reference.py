#!/usr/bin/env python3
"""Reference fit of scikit-learn's LogisticRegression for Quorum's native trainer.

Writes Tests/CoreTests/Fixtures/sklearn_logreg.json: a dataset (features of real BTCUSDT 5m
klines from data/sample, and the label high_030_4) and the coefficients scikit-learn finds on it
with StandardScaler + LogisticRegression(C, lbfgs, L2) for a few values of C. Quorum's test fits the
same rows and compares. Run once when the fixture must change:

    pip install scikit-learn numpy
    python3 scripts/sklearn_logreg_reference.py

The features are deliberately simple and computed here from the CSV (close/open − 1, high/low − 1,
log volume, the 3-bar return) so that the test needs nothing but the committed rows.
"""
import csv, json, math, os, sys
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
rows = list(csv.reader(open(os.path.join(root, "data/sample/BTCUSDT-5m-2024-07-08.csv"))))[1:]
rows = rows[:3004]
o = np.array([float(r[1]) for r in rows]); h = np.array([float(r[2]) for r in rows])
l = np.array([float(r[3]) for r in rows]); c = np.array([float(r[4]) for r in rows])
v = np.array([float(r[5]) for r in rows])
X, y = [], []
for t in range(3, len(rows) - 4):
    X.append([c[t] / o[t] - 1, h[t] / l[t] - 1, math.log(v[t] + 1), c[t] / c[t - 3] - 1])
    y.append(int(any(h[t + k] > c[t] * 1.003 for k in range(1, 5))))
X = np.array(X); y = np.array(y)
fits = []
for C in [0.01, 1.0, 100.0]:
    scaler = StandardScaler().fit(X)
    model = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000).fit(scaler.transform(X), y)
    fits.append({"C": C, "coefficients": [float(w) for w in model.coef_[0]], "intercept": float(model.intercept_[0]),
                 "means": [float(m) for m in scaler.mean_], "stds": [float(s) for s in scaler.scale_]})
out = {"source": "data/sample/BTCUSDT-5m-2024-07-08.csv rows 1-3004", "sklearn": sklearn.__version__,
       "rows": [[float(repr_x) for repr_x in row] for row in X.tolist()], "labels": [int(b) for b in y], "fits": fits}
path = os.path.join(root, "Tests/CoreTests/Fixtures/sklearn_logreg.json")
json.dump(out, open(path, "w"), separators=(",", ":"))
print(f"wrote {path}: {len(X)} rows, {int(y.sum())} positives, scikit-learn {sklearn.__version__}")
