"""analysis.cox against lifelines on the raw rows (independent implementation), with case weights,
strata and robust standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.utils import concordance_index

from analysis import cox
from analysis.cox import compress


def _tied_data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Daily durations (heavy ties), categorical covariates, administrative censoring at day 60."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.integers(0, 2, n), "c": rng.integers(0, 4, n) / 2})
    t = np.ceil(rng.exponential(40 / np.exp(0.4 * x["a"] - 0.3 * x["b"] + 0.2 * x["c"]))).clip(max=60)
    return x, t, (t < 60).astype(int)


def _lifelines(x, t, e, **kw):
    return CoxPHFitter().fit(x.assign(_t=t, _e=e), "_t", "_e", **kw)


def test_raw_and_compressed_rows_equal_lifelines_on_raw_rows():
    x, t, e = _tied_data(20_000, 1)
    ref = _lifelines(x, t, e)
    raw = cox.fit(x, t, e)
    c = compress(x, pd.Series(t), pd.Series(e))
    packed = cox.fit(c[["a", "b", "c"]], c["_t"], c["_e"], weights=c["w"])
    assert packed.rows < len(x) / 10
    for f in (raw, packed):
        np.testing.assert_allclose(f.table["coef"], ref.params_, rtol=0, atol=1e-7)
        np.testing.assert_allclose(f.table["se"], ref.standard_errors_, rtol=1e-6)
        assert f.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-6)
        assert f.concordance == pytest.approx(ref.concordance_index_, abs=1e-12)
        assert f.members == len(x) and f.events == int(e.sum())


def test_concordance_equals_lifelines_with_tied_scores_and_times():
    x, t, e = _tied_data(3_000, 2)
    f = cox.fit(x, t, e)
    risk = x.to_numpy() @ f.table["coef"].to_numpy()
    assert f.concordance == pytest.approx(concordance_index(t, -risk, e), abs=1e-12)


def test_strata_equal_lifelines():
    x, t, e = _tied_data(8_000, 3)
    s = np.random.default_rng(4).integers(0, 3, len(x))
    ref = CoxPHFitter().fit(x.assign(_t=t, _e=e, s=s), "_t", "_e", strata=["s"])
    c = compress(x, pd.Series(t), pd.Series(e), pd.Series(s))
    f = cox.fit(c[["a", "b", "c"]], c["_t"], c["_e"], weights=c["w"], strata=c["_s"])
    np.testing.assert_allclose(f.table["coef"], ref.params_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(f.table["se"], ref.standard_errors_, rtol=1e-6)


def test_robust_se_equals_lifelines_without_ties_and_survives_compression():
    rng = np.random.default_rng(5)
    n = 600
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 2, n)})
    t0 = rng.exponential(1 / np.exp(0.5 * x["a"] - 0.3 * x["b"]))
    cens = rng.exponential(2, n)
    t, e = np.minimum(t0, cens), (t0 < cens).astype(int)
    ref = _lifelines(x, t, e, robust=True)
    f = cox.fit(x, t, e, robust=True)
    np.testing.assert_allclose(f.table["robust_se"], ref.standard_errors_, rtol=1e-6)
    # with ties the residuals follow Efron's weighting; a compressed row stands for its members exactly
    x, t, e = _tied_data(5_000, 6)
    raw = cox.fit(x, t, e, robust=True)
    c = compress(x, pd.Series(t), pd.Series(e))
    packed = cox.fit(c[["a", "b", "c"]], c["_t"], c["_e"], weights=c["w"], robust=True)
    np.testing.assert_allclose(packed.table["robust_se"], raw.table["robust_se"], rtol=1e-9)
    # under a correct model the sandwich agrees with the model-based SE
    np.testing.assert_allclose(raw.table["robust_se"], raw.table["se"], rtol=0.1)


def test_score_residuals_sum_to_the_score_at_any_beta():
    x, t, e = _tied_data(2_000, 7)
    s = cox._Stratum(x.to_numpy(float), t, e, np.ones(len(t)))
    beta = np.array([0.3, -0.2, 0.1])
    np.testing.assert_allclose(s.score_residuals(beta).sum(axis=0), s.pieces(beta)["grad"], atol=1e-8)


def test_fractional_weights_are_refused():
    x, t, e = _tied_data(100, 8)
    with pytest.raises(ValueError, match="whole numbers"):
        cox.fit(x, t, e, weights=np.full(len(t), 0.5))


def test_closed_form_tie_sums_equal_the_expansion(monkeypatch):
    x, t, e = _tied_data(20_000, 9)
    closed = cox.fit(x, t, e, robust=True)
    monkeypatch.setattr(cox, "EXPAND_TIES_UP_TO", 10**9)
    expanded = cox.fit(x, t, e, robust=True)
    assert closed.log_likelihood == pytest.approx(expanded.log_likelihood, rel=1e-12)
    for col in ("coef", "se", "robust_se"):
        np.testing.assert_allclose(closed.table[col], expanded.table[col], rtol=1e-9, atol=1e-12)


def test_pattern_and_row_paths_agree(monkeypatch):
    x, t, e = _tied_data(20_000, 10)
    s = cox._Stratum(x.to_numpy(float), t, e, np.ones(len(t)))
    assert s.patterns is not None  # 24 covariate patterns x 59 event times
    patterns = cox.fit(x, t, e, robust=True)
    monkeypatch.setattr(cox, "PATTERN_CELLS", 0)
    rows = cox.fit(x, t, e, robust=True)
    for col in ("coef", "se", "robust_se"):
        np.testing.assert_allclose(patterns.table[col], rows.table[col], rtol=1e-10)
    assert patterns.log_likelihood == pytest.approx(rows.log_likelihood, rel=1e-13)


def test_degenerate_inputs_get_clear_errors():
    x, t, e = _tied_data(100, 11)
    with pytest.raises(ValueError, match="no events"):
        cox.fit(x, t, np.zeros(len(t)))
    with pytest.raises(ValueError, match="singular"):
        cox.fit(x.assign(a2=x["a"]), t, e)
