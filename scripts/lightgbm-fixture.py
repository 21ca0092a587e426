#!/usr/bin/env python3
"""Writes the GradientBoostingTests fixture: a small LightGBM model (text format) and LightGBM's own
predictions for rows that exercise NaN, zero, tiny (|x| <= 1e-35) and infinite inputs, so the native
evaluator is tested without the library.

Needs the pip package lightgbm==4.7.0 (scripts/bootstrap.sh installs it) and numpy (its dependency).
Run from the repository root:  python3 scripts/lightgbm-fixture.py
Outputs (committed): Tests/GradientBoostingTests/Fixtures/small-gbdt.txt, small-gbdt-expected.json
"""
import json
import os

import lightgbm as lgb
import numpy as np

OUT = os.path.join("Tests", "GradientBoostingTests", "Fixtures")


def main():
    rng = np.random.default_rng(20240805)
    n, d = 600, 4
    x = rng.normal(size=(n, d))
    x[:, 3] = np.round(x[:, 3])                      # many exact zeros
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + 0.3 * rng.normal(size=n) > 0).astype(np.float64)
    x[rng.random(size=(n, d)) < 0.1] = np.nan       # 10% missing
    params = {
        "objective": "binary", "num_leaves": 7, "learning_rate": 0.2, "min_data_in_leaf": 5,
        "verbosity": -1, "num_threads": 1, "deterministic": True, "seed": 7,
    }
    booster = lgb.train(params, lgb.Dataset(x, label=y, feature_name=["f0", "f1", "f2", "f3"]), num_boost_round=15)
    text = booster.model_to_string()
    with open(os.path.join(OUT, "small-gbdt.txt"), "w") as f:
        f.write(text)
    probe = rng.normal(size=(40, d))
    probe[rng.random(size=(40, d)) < 0.2] = np.nan
    special = [
        [0.0, 0.0, 0.0, 0.0], [np.nan] * 4, [1e-36, -1e-36, 1e-35, -1e-40],
        [np.inf, -np.inf, np.inf, -np.inf], [-0.0, 0.5, -0.5, 2.0], [3.0, np.nan, 0.0, -1.0],
    ]
    rows = np.vstack([probe, np.array(special)])
    loaded = lgb.Booster(model_str=text)
    expected = {
        "model": "small-gbdt.txt",
        "rows": [[repr(float(v)) for v in row] for row in rows],
        "probabilities": [repr(float(p)) for p in loaded.predict(rows)],
        "raw": [repr(float(p)) for p in loaded.predict(rows, raw_score=True)],
        "lightgbm": lgb.__version__,
    }
    with open(os.path.join(OUT, "small-gbdt-expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
