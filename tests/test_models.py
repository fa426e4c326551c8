"""fit_ols against statsmodels (every SE type), HC4 by hand, and NIST's certified Longley values."""
import numpy as np
import pytest
import statsmodels.api as sm

from analysis._errors import InputError
from analysis.stats.models import fit_ols

SM_COV = {"ols": "nonrobust", "HC0": "HC0", "HC1": "HC1", "HC2": "HC2", "HC3": "HC3"}


def _design(seed, n=120, binary=True):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n).astype(float) if binary else rng.normal(size=n)
    a = rng.normal(3, 1, n)
    c = rng.normal(size=n)
    X = np.column_stack([np.ones(n), g, a, g * a, c])
    y = 1 + 0.3 * g + 0.2 * a + 0.4 * g * a + 0.1 * c + rng.normal(size=n) * (0.5 + 0.5 * np.abs(a - 3))
    return X, y


@pytest.mark.parametrize("se", list(SM_COV))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_statsmodels(se, seed):
    # Same design, independent implementation; t inference on residual df (use_t=True).
    X, y = _design(seed, binary=seed != 2)
    ours = fit_ols(X, y, ["Intercept", "g", "a", "g:a", "c"], se=se).to_frame()
    ref = sm.OLS(y, X).fit(cov_type=SM_COV[se], use_t=True)
    # rtol 1e-10: both are closed-form linear algebra on the same doubles.
    np.testing.assert_allclose(ours["estimate"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(ours["std_error"], ref.bse, rtol=1e-10)
    np.testing.assert_allclose(ours["statistic"], ref.tvalues, rtol=1e-10)
    np.testing.assert_allclose(ours["p_value"], ref.pvalues, rtol=1e-8, atol=1e-300)
    np.testing.assert_allclose(ours[["conf_low", "conf_high"]], ref.conf_int(0.05), rtol=1e-10)


def test_r2_and_adjusted_r2_match_statsmodels():
    X, y = _design(5)
    fit = fit_ols(X, y, list("abcde"))
    ref = sm.OLS(y, X).fit()
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-12)
    assert fit.r2_adj == pytest.approx(ref.rsquared_adj, rel=1e-12)
    assert fit.df_resid == ref.df_resid


def test_hc4_against_hand_computation():
    # Cribari-Neto (2004): Omega_ii = e_i^2 / (1 - h_ii)^delta_i, delta_i = min(4, n h_ii / k).
    X, y = _design(3, n=40)
    n, k = X.shape
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    e = y - X @ b
    meat = np.zeros((k, k))
    for i in range(n):  # deliberately an explicit loop: independent of the vectorised code
        h = X[i] @ xtx_inv @ X[i]
        delta = min(4.0, n * h / k)
        meat += np.outer(X[i], X[i]) * e[i] ** 2 / (1 - h) ** delta
    V = xtx_inv @ meat @ xtx_inv
    fit = fit_ols(X, y, list("abcde"), se="HC4")
    np.testing.assert_allclose(fit.vcov, V, rtol=1e-10)
    # HC4 is larger than HC3 when a high-leverage point has n h / k > 2.
    X[0, 4] = 15.0
    h3 = fit_ols(X, y, list("abcde"), se="HC3").to_frame()["std_error"]
    h4 = fit_ols(X, y, list("abcde"), se="HC4").to_frame()["std_error"]
    assert h4.iloc[4] > h3.iloc[4]


def test_longley_nist_certified_values():
    # NIST StRD "Longley" certified values (higher difficulty, ill-conditioned design).
    data = sm.datasets.longley.load_pandas()
    X = np.column_stack([np.ones(len(data.exog)), data.exog.to_numpy()])
    fit = fit_ols(X, data.endog.to_numpy(), ["Intercept"] + list(data.exog.columns))
    certified_b = [-3482258.63459582, 15.0618722713733, -0.358191792925910e-01,
                   -2.02022980381683, -1.03322686717359, -0.511041056535807e-01, 1829.15146461355]
    certified_se = [890420.383607373, 84.9149257747669, 0.334910077722432e-01,
                    0.488399681651699, 0.214274163161675, 0.226073200069370, 455.478499142212]
    # rtol 1e-7: the certified values carry 15 digits; Longley's condition number (~1e9)
    # costs about 9 of our 16, so agreement to 7 digits is what a stable QR delivers.
    np.testing.assert_allclose(fit.params, certified_b, rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), certified_se, rtol=1e-7)
    assert fit.r2 == pytest.approx(0.995479004577296, rel=1e-9)
    assert fit.sigma == pytest.approx(304.854073561965, rel=1e-8)


def test_collinear_term_is_named():
    X, y = _design(0)
    X[:, 4] = 2 * X[:, 2]
    with pytest.raises(InputError, match="'c' is constant or perfectly collinear"):
        fit_ols(X, y, ["Intercept", "g", "a", "g:a", "c"])


def test_too_few_rows():
    X, y = _design(0, n=6)
    with pytest.raises(InputError, match="too few"):
        fit_ols(X, y, list("abcde"))


def test_unknown_se_type():
    X, y = _design(0)
    with pytest.raises(InputError, match="unknown standard-error type"):
        fit_ols(X, y, list("abcde"), se="HC9")
