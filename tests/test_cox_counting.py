"""Delayed entry ((start, stop] rows) and Breslow ties in analysis.cox.

The closed-form data sets are those of R survival's validation vignette (Therneau & Grambsch,
"Modeling Survival Data", appendix E, reproduced in ``vignette("validate", package = "survival")``):
test data 1 (tied event times) and test data 2 (counting-process rows, one entering at an event time).
statsmodels' PHReg with ``entry`` counts a member entering at an event time as at risk there and gets
-0.0611 on test data 2; the (start, stop] rule gives R's values. Larger data are checked against
lifelines' CoxTimeVaryingFitter on the raw rows (an independent implementation).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxTimeVaryingFitter

from analysis import cox

TEST1 = {"time": [1, 1, 6, 6, 8, 9], "status": [1, 0, 1, 1, 0, 1], "x": [1, 1, 1, 0, 0, 0]}
TEST2 = {
    "start": [1, 2, 5, 2, 1, 7, 3, 4, 8, 8],
    "stop": [2, 3, 6, 7, 8, 9, 9, 9, 14, 17],
    "event": [1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    "x": [1, 0, 0, 1, 0, 1, 1, 1, 0, 0],
}


@pytest.fixture(params=["patterns", "rows"])
def path(request, monkeypatch):
    """Both code paths of the fitter: dense per-pattern sums, and sparse per-row sums."""
    if request.param == "rows":
        monkeypatch.setattr(cox, "PATTERN_CELLS", 0)
    return request.param


@pytest.mark.parametrize(("ties", "beta"), [("breslow", 1.475285), ("efron", 1.676857)])
def test_test_data_1_reproduces_the_published_coefficients(path, ties, beta):
    d = TEST1
    f = cox.fit(pd.DataFrame({"x": d["x"]}), d["time"], d["status"], ties=ties)
    assert f.table["coef"].iloc[0] == pytest.approx(beta, abs=1e-6)


def test_test_data_1_breslow_log_likelihood_is_the_closed_form():
    """Appendix E: with r = exp(β), the Breslow log partial likelihood of test data 1 is
    2β - log(3r + 3) - 2 log(r + 3) (time 1: six at risk; time 6: four at risk, two tied events;
    time 9: one at risk, adding 0)."""
    d = TEST1
    f = cox.fit(pd.DataFrame({"x": d["x"]}), d["time"], d["status"], ties="breslow")
    b = f.table["coef"].iloc[0]
    r = np.exp(b)
    closed = (b - np.log(3 * r + 3)) + (b - 2 * np.log(r + 3)) + 0.0
    assert f.log_likelihood == pytest.approx(closed, abs=1e-10)


@pytest.mark.parametrize(("ties", "beta"), [("breslow", -0.084526), ("efron", -0.021105)])
def test_test_data_2_counting_process_reproduces_the_published_coefficients(path, ties, beta):
    d = TEST2
    f = cox.fit(pd.DataFrame({"x": d["x"]}), d["stop"], d["event"], entry=d["start"], ties=ties)
    assert f.table["coef"].iloc[0] == pytest.approx(beta, abs=1e-6)


def test_entering_at_an_event_time_is_not_at_risk_then():
    """The rule that separates R from statsmodels' -0.0611: move the entry that equals an event time
    (row 8 enters at 8, the event time of row 5) a little earlier and the estimate changes."""
    d = TEST2
    x = pd.DataFrame({"x": d["x"]})
    exact = cox.fit(x, d["stop"], d["event"], entry=d["start"]).table["coef"].iloc[0]
    earlier = np.array(d["start"], dtype=float)
    earlier[np.array(d["start"]) == 8] = 7.999
    moved = cox.fit(x, d["stop"], d["event"], entry=earlier).table["coef"].iloc[0]
    assert abs(exact - moved) > 1e-3


def _late_entry_data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Entries on days 0..19, daily durations (ties), a continuous and a categorical covariate."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"a": rng.integers(0, 3, n), "b": np.round(rng.normal(size=n), 1)})
    s = rng.integers(0, 20, n).astype(float)
    gap = np.ceil(rng.exponential(30 / np.exp(0.3 * x["a"] - 0.2 * x["b"]))).clip(max=60)
    return x, s + gap, (gap < 60).astype(int), s


def test_late_entry_equals_lifelines_time_varying_fitter_on_raw_rows(path):
    x, t, e, s = _late_entry_data(3_000, 5)
    rows = x.assign(id=np.arange(len(x)), start=s, stop=t, e=e)
    ref = CoxTimeVaryingFitter().fit(rows, id_col="id", start_col="start", stop_col="stop", event_col="e")
    f = cox.fit(x, t, e, entry=s)
    np.testing.assert_allclose(f.table["coef"], ref.params_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(f.table["se"], ref.standard_errors_, rtol=1e-6)
    assert f.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-6)


def test_compressed_late_entry_rows_equal_the_raw_rows():
    x, t, e, s = _late_entry_data(5_000, 6)
    x = x.assign(b=(x["b"] > 0).astype(int))  # few patterns, so compression bites
    raw = cox.fit(x, t, e, entry=s, robust=True)
    c = cox.compress(x, pd.Series(t), pd.Series(e), entry=pd.Series(s))
    packed = cox.fit(c[["a", "b"]], c["_t"], c["_e"], weights=c["w"], entry=c["_entry"], robust=True)
    assert packed.rows < 0.7 * len(x) and packed.members == len(x)
    for col in ("coef", "se", "robust_se"):
        np.testing.assert_allclose(packed.table[col], raw.table[col], rtol=1e-9)
    assert packed.concordance == pytest.approx(raw.concordance, abs=1e-12)


def test_concordance_counts_only_pairs_at_risk_together():
    """Brute force over pairs: an event at t_i is comparable with j when j entered before t_i and
    left after it (or was censored at t_i)."""
    x, t, e, s = _late_entry_data(300, 7)
    f = cox.fit(x, t, e, entry=s)
    score = x.to_numpy() @ f.table["coef"].to_numpy()
    conc = pairs = 0.0
    for i, j in itertools.permutations(range(len(t)), 2):
        if e[i] and s[j] < t[i] and (t[j] > t[i] or (t[j] == t[i] and not e[j])):
            pairs += 1
            conc += 1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0
    assert f.concordance == pytest.approx(conc / pairs, abs=1e-12)


def test_score_residuals_with_late_entry_sum_to_the_score():
    x, t, e, s = _late_entry_data(2_000, 8)
    xv = x.to_numpy(float) - x.to_numpy(float).mean(axis=0)
    st = cox._Stratum(xv, t, e, np.ones(len(t)), s)
    beta = np.array([0.2, -0.1])
    res = st.score_residuals(beta)
    np.testing.assert_allclose(res.sum(axis=0), st.pieces(beta)["grad"], atol=1e-8)


def test_zero_entries_change_nothing_and_bad_entries_are_refused():
    x, t, e, _ = _late_entry_data(1_000, 9)
    plain = cox.fit(x, t, e)
    zero = cox.fit(x, t, e, entry=np.zeros(len(t)))
    np.testing.assert_allclose(zero.table["coef"], plain.table["coef"], atol=1e-10)
    with pytest.raises(ValueError, match="before its duration"):
        cox.fit(x, t, e, entry=t)
    with pytest.raises(ValueError, match="ties must be"):
        cox.fit(x, t, e, ties="exact")


def test_fit_cox_passes_delayed_entry_through():
    x, t, e, s = _late_entry_data(2_000, 10)
    df = x.assign(t=t, event=e, entry=s, a=x["a"].astype(str))
    f = cox.fit_cox(df, categorical={"a": "0"}, numeric=["b"], entry="entry", ph_check=True)
    rows = x.assign(id=np.arange(len(x)), start=s, stop=t, e=e, a1=(x["a"] == 1) * 1, a2=(x["a"] == 2) * 1)
    ref = CoxTimeVaryingFitter().fit(
        rows[["id", "start", "stop", "e", "a1", "a2", "b"]],
        id_col="id",
        start_col="start",
        stop_col="stop",
        event_col="e",
    )
    np.testing.assert_allclose(f.table["coef"], ref.params_[["a1", "a2", "b"]], atol=1e-7)
    assert set(f.ph_test["period"]) == {1, 2, 3}
