"""Batched OLS against statsmodels fitted one at a time (and fit_ols for HC4).

Tolerances: 1e-10 relative for every statistic (the batched solve works on
cross-products; on these well-conditioned designs the observed error is ~1e-13).
Monte Carlo checks state their binomial band next to the assertion.
"""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis._errors import InputError
from analysis.stats.fastols import (batch_ols, bootstrap_ols, chunk_size_for, iter_resample_batches,
                              resample_counts, resample_indices)
from analysis.stats.models import fit_ols

SE_ALL = ("ols", "HC0", "HC1", "HC2", "HC3", "HC4")
RTOL = 1e-10


def _designs(rng, B, n, k, high_leverage=True):
    """Intercept, a continuous X, a binary G, X*G and further normal covariates."""
    X = np.empty((B, n, k))
    X[:, :, 0] = 1.0
    X[:, :, 1] = rng.normal(size=(B, n))
    X[:, :, 2] = (rng.random((B, n)) < 0.3).astype(float)
    X[:, :3, 2], X[:, 3:6, 2] = 1.0, 0.0    # at least 3 carriers and 3 non-carriers
    if k > 3:
        X[:, :, 3] = X[:, :, 1] * X[:, :, 2]
    for j in range(4, k):
        X[:, :, j] = rng.normal(size=(B, n))
    if high_leverage:                       # an outlying x value: leverage near 1
        X[:, 0, 1] = 12.0
    beta = np.linspace(0.5, -0.5, k)
    y = X @ beta + rng.normal(size=(B, n)) * (1.0 + np.abs(X[:, :, 1]))
    return X, y


def _reference(X, y):
    """statsmodels per fit (ols, HC0-HC3) and fit_ols (HC4)."""
    res = sm.OLS(y, X).fit()
    out = {"params": res.params, "rss": res.ssr, "ols": res.bse,
           "t_ols": res.tvalues, "p_ols": res.pvalues}
    for s in ("HC0", "HC1", "HC2", "HC3"):
        # statsmodels uses the normal distribution for robust p values unless use_t=True
        rob = res.get_robustcov_results(cov_type=s, use_t=True)
        out[s], out["t_" + s], out["p_" + s] = rob.bse, rob.tvalues, rob.pvalues
    terms = [f"c{j}" for j in range(X.shape[1])]
    out["HC4"] = np.sqrt(np.diag(fit_ols(X, y, terms, se="HC4").vcov))
    return out


@pytest.mark.parametrize("n,k", [(12, 3), (40, 5), (150, 4), (60, 7)])
def test_every_statistic_matches_statsmodels(n, k):
    rng = np.random.default_rng(n * 10 + k)
    X, y = _designs(rng, 15, n, k)
    fit = batch_ols(X, y, se=SE_ALL)
    assert not fit.rank_deficient.any()
    assert fit.df_resid == n - k
    for b in range(X.shape[0]):
        ref = _reference(X[b], y[b])
        np.testing.assert_allclose(fit.params[b], ref["params"], rtol=RTOL)
        np.testing.assert_allclose(fit.rss[b], ref["rss"], rtol=RTOL)
        for s in SE_ALL:
            np.testing.assert_allclose(fit.std_errors[s][b], ref[s], rtol=RTOL, err_msg=s)
        for s in ("ols", "HC0", "HC1", "HC2", "HC3"):
            np.testing.assert_allclose(fit.statistic(s)[b], ref["t_" + s], rtol=RTOL)
            np.testing.assert_allclose(fit.p_value(s)[b], ref["p_" + s], rtol=1e-8)


def test_shared_design_with_many_responses():
    rng = np.random.default_rng(3)
    X, _ = _designs(rng, 1, 50, 4)
    Y = rng.normal(size=(9, 50))
    fit = batch_ols(X[0], Y, se=("ols", "HC3"))
    for b in range(9):
        res = sm.OLS(Y[b], X[0]).fit()
        np.testing.assert_allclose(fit.params[b], res.params, rtol=RTOL)
        np.testing.assert_allclose(fit.std_errors["HC3"][b],
                                   res.get_robustcov_results("HC3").bse, rtol=RTOL)


def test_conf_int_is_statsmodels_t_interval():
    rng = np.random.default_rng(4)
    X, y = _designs(rng, 3, 30, 4)
    low, high = batch_ols(X, y).conf_int("ols", alpha=0.1)
    for b in range(3):
        ci = sm.OLS(y[b], X[b]).fit().conf_int(alpha=0.1)
        np.testing.assert_allclose(np.column_stack([low[b], high[b]]), ci, rtol=RTOL)


def _deficient_batch(rng):
    X, y = _designs(rng, 10, 30, 5, high_leverage=False)
    X[2, :, 4] = 3.0                                     # constant: collinear with intercept
    X[5, :, 4] = 0.0                                     # zero column
    X[7, :, 4] = 2.0 * X[7, :, 1] - X[7, :, 2]           # exact linear combination
    X[8, :, 2] = 0.0                                     # no carriers of G (and so of X*G)
    X[9, :, 4] = X[9, :, 1] + 1e-3 * rng.normal(size=30)  # nearly collinear, still estimable
    return X, y


def test_rank_deficient_mask_fires_only_on_deficient_fits():
    X, y = _deficient_batch(np.random.default_rng(5))
    fit = batch_ols(X, y, se=("ols", "HC3"), L=[[0, 1, 0, 1, 0]])
    expected = np.zeros(10, dtype=bool)
    expected[[2, 5, 7, 8]] = True
    np.testing.assert_array_equal(fit.rank_deficient, expected)
    assert np.isnan(fit.params[expected]).all() and np.isnan(fit.std_errors["HC3"][expected]).all()
    assert np.isnan(fit.rss[expected]).all()
    assert np.isnan(fit.linear_combination([[0, 1, 0, 1, 0]], "ols")[1][expected]).all()
    lean = batch_ols(X, y, se=("HC3",))          # without L: sandwich diagonals only
    np.testing.assert_array_equal(lean.rank_deficient, expected)
    np.testing.assert_allclose(lean.std_errors["HC3"], fit.std_errors["HC3"], rtol=RTOL)
    for b in np.flatnonzero(~expected):                  # the others are untouched
        # the nearly collinear fit (VIF ~ 1e6) loses digits; 1e-6 there, 1e-10 elsewhere
        tol = 1e-6 if b == 9 else RTOL
        np.testing.assert_allclose(fit.params[b], sm.OLS(y[b], X[b]).fit().params, rtol=tol)


def test_leverage_one_makes_hc2_to_hc4_nan_not_rank_deficient():
    rng = np.random.default_rng(6)
    X, y = _designs(rng, 2, 20, 3, high_leverage=False)
    X[1, :, 2] = 0.0
    X[1, 4, 2] = 1.0                                     # a single carrier: h = 1
    fit = batch_ols(X, y, se=SE_ALL)
    assert not fit.rank_deficient.any()
    for s in ("HC2", "HC3", "HC4"):
        assert np.isnan(fit.std_errors[s][1]).all() and np.isfinite(fit.std_errors[s][0]).all()
    np.testing.assert_allclose(fit.std_errors["HC0"][1],
                               sm.OLS(y[1], X[1]).fit(cov_type="HC0").bse, rtol=RTOL)


def test_chunking_gives_identical_results():
    rng = np.random.default_rng(7)
    X, y = _designs(rng, 23, 25, 4)
    L = np.array([[0, 1, 0, 0.5], [0, 0, 1, 1.0]])
    one = batch_ols(X, y, se=SE_ALL, L=L)
    for size in (1, 4, 7):
        other = batch_ols(X, y, se=SE_ALL, L=L, chunk_size=size)
        np.testing.assert_array_equal(other.params, one.params)
        for s in SE_ALL:
            np.testing.assert_array_equal(other.std_errors[s], one.std_errors[s])
            np.testing.assert_array_equal(other.combination[2][s], one.combination[2][s])


def test_linear_combination_all_paths_match_statsmodels():
    rng = np.random.default_rng(8)
    X, y = _designs(rng, 6, 40, 4)
    L = np.array([[0, 1, 0, w] for w in (-1.0, 0.0, 2.5)])
    cached = batch_ols(X, y, se=("HC3",), L=L)
    kept = batch_ols(X, y, se=("HC3",), keep_vcov=True)
    lean = batch_ols(X, y, se=("ols",), chunk_size=4)
    for fit in (cached, kept, lean):
        est, se = fit.linear_combination(L, "HC3")
        for b in range(6):
            res = sm.OLS(y[b], X[b]).fit(cov_type="HC3")
            np.testing.assert_allclose(est[b], L @ res.params, rtol=RTOL)
            np.testing.assert_allclose(se[b], np.sqrt(np.diag(L @ res.cov_params() @ L.T)),
                                       rtol=RTOL)
    assert lean.vcov is None and kept.vcov["HC3"].shape == (6, 4, 4)


def test_count_weighted_bootstrap_equals_gathered_resamples():
    """X'diag(c)X fits == refitting the gathered resamples, HC types included."""
    rng = np.random.default_rng(9)
    X, y = _designs(rng, 1, 30, 4)
    X, y = X[0], y[0]
    X[:, 2] = 0.0
    X[:3, 2] = 1.0                                       # 3 carriers: some resamples have none
    X[:, 3] = X[:, 1] * X[:, 2]
    counted = bootstrap_ols(X, y, 300, rng=np.random.default_rng(1), se=SE_ALL, chunk_size=37)
    idx = resample_indices(30, 300, np.random.default_rng(1))
    gathered = batch_ols(X[idx], y[idx], se=SE_ALL)
    np.testing.assert_array_equal(counted.rank_deficient, gathered.rank_deficient)
    assert 0 < counted.rank_deficient.sum() < 300
    np.testing.assert_allclose(counted.params, gathered.params, rtol=RTOL)
    for s in SE_ALL:
        # HC4 with only 3 carriers: delta = 4 and 1 - h = 0.011 multiply the
        # rounding error of h by (1 - h)^-4 ~ 7e7 (both paths agree to ~4e-9 only)
        tol = 1e-7 if s == "HC4" else RTOL
        np.testing.assert_allclose(counted.std_errors[s], gathered.std_errors[s], rtol=tol)
    est, se = counted.linear_combination([[0, 1, 0, 0.5]], "HC1")      # refit path, same stream
    est2, se2 = gathered.linear_combination([[0, 1, 0, 0.5]], "HC1")
    np.testing.assert_allclose(est, est2, rtol=RTOL)
    np.testing.assert_allclose(se, se2, rtol=RTOL)


def test_resampling_helpers():
    idx = resample_indices(5, 4, np.random.default_rng(0))
    np.testing.assert_array_equal(idx, np.random.default_rng(0).integers(0, 5, (4, 5)))
    counts = resample_counts(idx)
    for b in range(4):                                   # brute-force counting
        np.testing.assert_array_equal(counts[b], [np.sum(idx[b] == i) for i in range(5)])
    X = np.arange(10.0).reshape(5, 2)
    parts = list(iter_resample_batches(X, np.arange(5.0), 4, np.random.default_rng(0), 3))
    np.testing.assert_array_equal(np.vstack([p[0] for p in parts]), idx)  # same stream in chunks
    np.testing.assert_array_equal(parts[1][1], X[idx[3:]])


def test_memory_stays_within_budget():
    n, n_boot, budget = 2000, 2000, 8
    assert chunk_size_for(n, 5, n_boot, budget, gathered=False) * 8 * n * 10 <= budget * 2 ** 20
    rng = np.random.default_rng(10)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = rng.normal(size=n)
    tracemalloc.start()
    bootstrap_ols(X, y, n_boot, rng=rng, se=("ols", "HC3"), max_memory_mb=budget)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    # gathering would need 2000*2000*5*8 B = 153 MB and the count matrix alone 32 MB;
    # a chunk is <= 8 MB by the estimate, so 3x that covers temporaries and outputs.
    assert peak < 3 * budget


def test_input_errors():
    with pytest.raises(InputError, match="do not match"):
        batch_ols(np.ones((3, 10, 2)), np.ones((2, 10)))
    with pytest.raises(InputError, match="finite"):
        batch_ols(np.ones((10, 2)), np.full((1, 10), np.nan))
    with pytest.raises(InputError, match="too few"):
        batch_ols(np.ones((3, 2)), np.ones((1, 3)))
    with pytest.raises(InputError, match="unknown standard-error"):
        batch_ols(np.ones((10, 2)), np.ones((1, 10)), se="HC9")


# ------------------------------------------------------------------ Monte Carlo (seeded)
def _moderation_data(rng, R, n, b3):
    """R datasets: y = 1 + .3 x + .2 w + b3 x w + .1 z + N(0, 1), x, w, z ~ N(0, 1)."""
    x, w, z = rng.normal(size=(3, R, n))
    X = np.stack([np.ones((R, n)), x, w, x * w, z], axis=-1)
    return X, X @ np.array([1.0, 0.3, 0.2, b3, 0.1]) + rng.normal(size=(R, n))


@pytest.mark.slow
def test_type_one_error_of_interaction_test():
    R = 4000
    X, y = _moderation_data(np.random.default_rng(11), R, 100, 0.0)
    fit = batch_ols(X, y, se=("ols", "HC3"))
    for s in ("ols", "HC3"):
        rate = np.mean(fit.p_value(s)[:, 3] < 0.05)
        # issue target 3.5-6.5%: +/- 4.4 MC standard errors (sqrt(.05*.95/4000) = .0034)
        assert 0.035 <= rate <= 0.065, (s, rate)


@pytest.mark.slow
def test_ols_t_interval_of_simple_slope_covers():
    R, w = 4000, 1.0
    X, y = _moderation_data(np.random.default_rng(12), R, 200, 0.15)
    est, se = batch_ols(X, y, L=[[0, 1, 0, w, 0]]).linear_combination([[0, 1, 0, w, 0]], "ols")
    tcrit = stats.t.ppf(0.975, 195)
    cover = np.mean(np.abs(est[:, 0] - (0.3 + 0.15 * w)) <= tcrit * se[:, 0])
    # exact t interval: coverage .95; band .95 +/- 3 sqrt(.95*.05/4000) = .95 +/- .0103
    assert abs(cover - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / R), cover


def test_nested_inverses_equal_separate_factorisations_bit_for_bit():
    """_nested_inverses: every leading block's inverse and rank flag from one factorisation,
    bit for bit what _safe_inverse gives on the block alone, including fits whose whole
    matrix is unusable beyond the block (zero or NaN column) and rank deficiency inside."""
    from analysis.stats.fastols import _nested_inverses, _safe_inverse

    rng = np.random.default_rng(5)
    for k in (2, 4, 6, 10):
        X = rng.standard_normal((60, k))
        X[:, 0] = 1.0
        C = rng.poisson(1.0, (300, 60)).astype(float)
        xtx = (C @ (X[:, :, None] * X[:, None, :]).reshape(60, k * k)).reshape(300, k, k)
        xtx[3, -1, :] = xtx[3, :, -1] = 0.0          # a zero column beyond every block
        xtx[4, 1, 1] = 0.0                            # a zero diagonal inside
        xtx[5, -1, -1] = np.nan                       # unusable beyond the block
        if k > 2:                                     # column 2 a copy of column 1
            xtx[6, :, 2], xtx[6, 2, :] = xtx[6, :, 1], xtx[6, 1, :]
        nested = _nested_inverses(xtx, tuple(range(1, k + 1)))
        with np.errstate(all="ignore"):
            for p in range(1, k + 1):
                inv, bad = _safe_inverse(np.ascontiguousarray(xtx[:, :p, :p]))
                assert np.array_equal(nested[p][0], inv, equal_nan=True), (k, p)
                assert np.array_equal(nested[p][1], bad), (k, p)
        assert nested[k][1][[3, 5]].all() and not nested[1][1][[3, 5]].any()
        ok = ~nested[k][1]
        eye = np.broadcast_to(np.eye(k), (ok.sum(), k, k))
        np.testing.assert_allclose(nested[k][0][ok] @ xtx[ok], eye, atol=1e-9)
