"""fit_ols on tall designs (n >= TALL_QR_ROWS): blocked TSQR against the Householder path,
statsmodels and NIST's certified Longley values; the rank check and the leverage-1 check."""
import numpy as np
import pytest
import statsmodels.api as sm

from analysis._errors import InputError
from analysis.stats import models
from analysis.stats.models import TALL_QR_ROWS, fit_ols

SM_COV = {"ols": "nonrobust", "HC0": "HC0", "HC1": "HC1", "HC2": "HC2", "HC3": "HC3"}
TERMS = ["Intercept", "x", "z", "x:z", "c"]


def _design(n, kind, seed=0):
    """``well``: binary x centred-ish style (cond ~1e2); ``uncentred``: the product of two
    continuous variables far from zero (cond ~1e5), the hard case of moderation designs."""
    rng = np.random.default_rng(seed)
    if kind == "well":
        x, z = rng.integers(0, 2, n).astype(float), rng.normal(3, 1, n)
    else:
        x, z = rng.normal(20, 1, n), rng.normal(30, 2, n)
    c = rng.normal(40, 10, n)
    X = np.column_stack([np.ones(n), x, z, x * z, c])
    noise = rng.normal(size=n) * (0.5 + 0.5 * np.abs(z - z.mean()))   # heteroskedastic
    y = 1 + 0.3 * x + 0.2 * z + 0.05 * x * z + 0.01 * c + noise
    return X, y


def _householder(monkeypatch, X, y, **kw):
    """The same fit with the threshold raised: LAPACK Householder QR, as below it."""
    with monkeypatch.context() as m:
        m.setattr(models, "TALL_QR_ROWS", 10 ** 12)
        return fit_ols(X, y, TERMS, **kw)


def _se(fit):
    return np.sqrt(np.diag(fit.vcov))


def test_threshold_chooses_the_path(monkeypatch):
    # Below the threshold the Householder path runs (explicit Q kept); at it, TSQR (no Q).
    calls, real = [], models._tsqr
    monkeypatch.setattr(models, "_tsqr", lambda X, y: calls.append(len(X)) or real(X, y))
    X, y = _design(TALL_QR_ROWS, "well")
    fit_ols(X[:-1], y[:-1], TERMS)
    assert calls == []
    fit_ols(X, y, TERMS)
    assert calls == [TALL_QR_ROWS]


@pytest.mark.parametrize("kind", ["well", "uncentred"])
@pytest.mark.parametrize("n", [50_003, 200_000])
def test_tsqr_matches_householder(monkeypatch, kind, n):
    # Two backward-stable QRs of the same doubles: differences are rounding, of order
    # cond(X) * 2^-53 (cond ~1e2 / ~1e5 here: <= 1e-11).  rtol 1e-10 for coefficients and
    # every standard error; 1e-9 for the HC sandwiches of the uncentred design, where
    # (X'X)^-1 M (X'X)^-1 amplifies rounding by about cond^2 * u (statsmodels' own HC3
    # differs from Householder's by ~4e-10 there).
    X, y = _design(n, kind, seed=n)
    rtol_hc = 1e-10 if kind == "well" else 1e-9
    for se in ("ols", "HC1", "HC3", "HC4"):
        fast, ref = fit_ols(X, y, TERMS, se=se), _householder(monkeypatch, X, y, se=se)
        np.testing.assert_allclose(fast.params, ref.params, rtol=1e-10)
        np.testing.assert_allclose(_se(fast), _se(ref), rtol=1e-10 if se == "ols" else rtol_hc)
        assert fast.rss == pytest.approx(ref.rss, rel=1e-12)
        assert fast.r2 == pytest.approx(ref.r2, rel=1e-12)


@pytest.mark.parametrize("kind", ["well", "uncentred"])
@pytest.mark.parametrize("se", list(SM_COV))
def test_tsqr_matches_statsmodels(kind, se):
    # Independent implementation (statsmodels: pinv via SVD); tolerances as above.
    X, y = _design(60_000, kind, seed=7)
    fit = fit_ols(X, y, TERMS, se=se)
    ref = sm.OLS(y, X).fit(cov_type=SM_COV[se], use_t=True)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-10)
    rtol = 1e-10 if kind == "well" or se == "ols" else 1e-9
    np.testing.assert_allclose(_se(fit), ref.bse, rtol=rtol)


def test_tsqr_leverages_match_householder(monkeypatch):
    # Leverages (HC2-HC4) come from x_i R^-1 block by block instead of rows of Q.
    X, y = _design(30_001, "uncentred", seed=3)
    fast = models._checked_qr(X, y, tuple(TERMS))
    q, _ = np.linalg.qr(X)
    np.testing.assert_allclose(fast.leverage(), np.einsum("ij,ij->i", q, q), rtol=1e-9)


def test_tsqr_weighted_fit_matches_householder(monkeypatch):
    X, y = _design(40_000, "well", seed=4)
    w = np.random.default_rng(4).uniform(0.2, 3.0, len(y))
    for se in ("ols", "HC3"):
        fast = fit_ols(X, y, TERMS, se=se, weights=w)
        ref = _householder(monkeypatch, X, y, se=se, weights=w)
        np.testing.assert_allclose(fast.params, ref.params, rtol=1e-10)
        np.testing.assert_allclose(_se(fast), _se(ref), rtol=1e-10)
        assert fast.tss == ref.tss and fast.n_effective == ref.n_effective


@pytest.mark.parametrize("se, n_clusters", [("CR1", 40), ("CR2", 10_000)])
def test_tsqr_cluster_fit_matches_householder(monkeypatch, se, n_clusters):
    X, y = _design(30_000, "well", seed=5)
    codes = np.random.default_rng(5).permutation(np.arange(len(y)) % n_clusters)
    fast = fit_ols(X, y, TERMS, se=se, cluster=codes)
    ref = _householder(monkeypatch, X, y, se=se, cluster=codes)
    np.testing.assert_allclose(_se(fast), _se(ref), rtol=1e-10)
    np.testing.assert_allclose(fast.df_for(np.eye(5)), ref.df_for(np.eye(5)), rtol=1e-10)


def test_longley_stacked_is_certified_on_the_tsqr_path():
    # NIST StRD Longley (cond ~1e9) repeated 2,000 times (32,000 rows): the least-squares
    # coefficients are unchanged, and SE = certified SE * sqrt((16 - 7) / (32000 - 7)).
    # rtol 1e-7 as for the original 16 rows (test_models.py): cond ~1e9 costs 9 digits.
    data = sm.datasets.longley.load_pandas()
    X1 = np.column_stack([np.ones(len(data.exog)), data.exog.to_numpy()])
    reps = 2000
    X, y = np.tile(X1, (reps, 1)), np.tile(data.endog.to_numpy(), reps)
    assert len(y) >= TALL_QR_ROWS
    fit = fit_ols(X, y, ["Intercept"] + list(data.exog.columns))
    certified_b = [-3482258.63459582, 15.0618722713733, -0.358191792925910e-01,
                   -2.02022980381683, -1.03322686717359, -0.511041056535807e-01, 1829.15146461355]
    certified_se = np.array([890420.383607373, 84.9149257747669, 0.334910077722432e-01,
                             0.488399681651699, 0.214274163161675, 0.226073200069370,
                             455.478499142212])
    np.testing.assert_allclose(fit.params, certified_b, rtol=1e-7)
    np.testing.assert_allclose(_se(fit), certified_se * np.sqrt(9 / (len(y) - 7)), rtol=1e-7)
    assert fit.r2 == pytest.approx(0.995479004577296, rel=1e-9)


def test_near_collinear_tall_design_matches_householder(monkeypatch):
    # cond ~1e9 (z2 = z + 1e-6 noise): still estimable; both QRs agree to cond * u ~ 1e-7
    # on the two near-copies and much better on the rest.
    X, y = _design(50_000, "well", seed=6)
    X[:, 4] = X[:, 2] + 1e-6 * np.random.default_rng(6).normal(size=len(y))
    fast, ref = fit_ols(X, y, TERMS), _householder(monkeypatch, X, y)
    np.testing.assert_allclose(fast.params, ref.params, rtol=1e-5)
    np.testing.assert_allclose(fast.params[[0, 1, 3]], ref.params[[0, 1, 3]], rtol=1e-8)
    np.testing.assert_allclose(_se(fast), _se(ref), rtol=1e-5)


@pytest.mark.parametrize("column, values", [(4, "2 * z"), (4, "constant 0"), (3, "x")])
def test_collinear_tall_design_names_the_term(column, values):
    X, y = _design(TALL_QR_ROWS + 5, "well")
    X[:, column] = {"2 * z": 2 * X[:, 2], "constant 0": 0.0, "x": X[:, 1]}[values]
    with pytest.raises(InputError, match=f"term '{TERMS[column]}' is constant or perfectly "
                                         "collinear"):
        fit_ols(X, y, TERMS)


def test_leverage_one_is_refused_on_the_tsqr_path():
    # A dummy for a single row gives that row leverage 1: HC2-HC4 are undefined.
    X, y = _design(TALL_QR_ROWS + 5, "well")
    X[:, 4] = 0.0
    X[17, 4] = 1.0
    assert fit_ols(X, y, TERMS, se="HC1").nobs == len(y)
    with pytest.raises(InputError, match="leverage 1"):
        fit_ols(X, y, TERMS, se="HC3")


def test_design_matrix_layout_follows_the_threshold():
    # Below the threshold exactly np.column_stack (row-major: the old arithmetic); from it on
    # column-major with the same values, and the fit does not depend on the layout.
    rng = np.random.default_rng(9)
    for n in (500, TALL_QR_ROWS):
        cols = [np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)]
        X = models.design_matrix(cols)
        np.testing.assert_array_equal(X, np.column_stack(cols))
        assert X.flags["C_CONTIGUOUS"] if n < TALL_QR_ROWS else X.flags["F_CONTIGUOUS"]
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=len(X))
    by_column = fit_ols(X, y, ["i", "a", "b"], se="HC3")
    by_row = fit_ols(np.ascontiguousarray(X), y, ["i", "a", "b"], se="HC3")
    np.testing.assert_allclose(by_column.params, by_row.params, rtol=1e-12)
    np.testing.assert_allclose(by_column.vcov, by_row.vcov, rtol=1e-11)
