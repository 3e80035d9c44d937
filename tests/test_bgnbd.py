"""BG/NBD against the published CDNOW fit (Fader, Hardie & Lee 2005, 2,357 customers, 39 weeks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import bgnbd

# The CDNOW sample as summarised by Fader & Hardie (frequency = repeat purchases, recency = week of the
# last one, T = weeks observed), in the copy shipped with the btyd package (Apache-2.0), kept here so
# that nothing is downloaded.
CDNOW = Path(__file__).resolve().parent / "reference" / "cdnow_customers_summary.csv"
PUBLISHED = bgnbd.BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)


def test_fit_reproduces_the_published_cdnow_parameters_and_likelihood():
    d = pd.read_csv(CDNOW)
    assert len(d) == 2357
    fitted = bgnbd.fit(d["frequency"], d["recency"], d["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(PUBLISHED, name), abs=1e-3), name
    assert PUBLISHED.log_likelihood(d["frequency"], d["recency"], d["T"]).sum() == pytest.approx(
        -9582.4, abs=0.1
    )


def test_conditional_expectation_and_probability_alive():
    assert PUBLISHED.expected(39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=1e-3)
    # no repeat yet: alive for sure; a long silence after many repeats: probably gone
    assert PUBLISHED.p_alive(0, 0, 38.86) == 1.0
    assert PUBLISHED.p_alive(10, 5.0, 38.86) < 0.05 < 0.9 < PUBLISHED.p_alive(10, 38.0, 38.86)
    # E[Y(t)] grows with t and is 0 at t = 0
    ys = PUBLISHED.expected(np.array([0.0, 10.0, 39.0]), 2, 30.43, 38.86)
    assert ys[0] == pytest.approx(0, abs=1e-12) and ys[0] < ys[1] < ys[2]


def test_compressed_histories_give_the_same_fit():
    """Members with the same (x, t_x, T) are one weighted row; the likelihood and the fit do not change
    (whole-day activity makes most histories repeat, which the risk backtest relies on at scale)."""
    d = pd.read_csv(CDNOW)
    x, t_x, T = (np.round(d[c].to_numpy(float)) for c in ("frequency", "recency", "T"))
    xs, txs, Ts, w = bgnbd.compress(x, t_x, T)
    assert len(xs) < len(x) and w.sum() == len(x)
    assert (w * PUBLISHED.log_likelihood(xs, txs, Ts)).sum() == pytest.approx(
        PUBLISHED.log_likelihood(x, t_x, T).sum(), rel=1e-12
    )
    raw, packed = bgnbd.fit(x, t_x, T), bgnbd.fit(xs, txs, Ts, weights=w)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(packed, name) == pytest.approx(getattr(raw, name), rel=1e-4), name
