"""Tests for analysis.measures.scales: scoring rules, alpha, standardised alpha, omega.

Independent checks: hand computation with the standard library, two published
examples (R performance::cronbachs_alpha on mtcars; Julia StatsBase
cronbachalpha on a covariance matrix), closed forms for parallel and
tau-equivalent items, statsmodels' ML factor analysis, and a Monte Carlo
congeneric model whose tolerance comes from the replications' own spread.
"""
from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from analysis._errors import InputError
from analysis.measures.scales import (
    alpha_from_cov, cronbach_alpha, fit_one_factor, item_total, mcdonald_omega,
    omega_from_cov, reliability, reverse_key, score_scale, standardized_alpha,
)


def _exact_sample_cov(target: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose sample covariance (n - 1 divisor) equals ``target`` exactly."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, target.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(target).T + 3.0


# ------------------------------------------------------------------ scoring
def test_reverse_key():
    assert reverse_key(1, 1, 9) == 9 and reverse_key(9, 1, 9) == 1
    np.testing.assert_array_equal(reverse_key(np.array([1, 3, 5]), 1, 5), [5, 3, 1])
    assert reverse_key(pd.Series([0, 4]), 0, 4).tolist() == [4, 0]


def test_score_scale_reverse_and_answered_share():
    items = pd.DataFrame({"q1": [1, 2, None, None, 7],
                          "q2": [7, 6, None, None, 7],    # reverse-keyed
                          "q3": [4, None, 3, None, 7],
                          "q4": [2, 2, None, None, 7]}, index=[11, 12, 13, 14, 15])
    out = score_scale(items, reverse=["q2"], min_value=1, max_value=7, name="co")
    # hand: row 11 = (1 + (8-7) + 4 + 2)/4 = 2; row 12 = (2 + 2 + 2)/3 = 2;
    # row 13 answered 1 of 4 (< 0.5) -> NaN; row 14 none -> NaN; row 15 = (7+1+7+7)/4
    assert out.index.tolist() == [11, 12, 13, 14, 15] and out.name == "co"
    np.testing.assert_allclose(out.to_numpy(), [2.0, 2.0, np.nan, np.nan, 5.5], rtol=1e-12)
    # exactly half answered is enough at min_answered = 0.5
    half = score_scale(items.loc[[11]].assign(q3=None, q4=None), min_value=1, max_value=7)
    assert half.iloc[0] == pytest.approx(4.0)
    strict = score_scale(items, reverse=["q2"], min_value=1, max_value=7, min_answered=1.0)
    assert strict.isna().tolist() == [False, True, True, True, False]


def test_score_scale_out_of_range_names_column_rows_values():
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [5, 99, 0, 3], "c": [1, 8, 1, 1]})
    with pytest.raises(InputError) as err:
        score_scale(items, min_value=1, max_value=5, file="s.csv")
    e = err.value
    assert e.column == "b" and e.rows == [2, 3] and e.values == [99.0, 0.0]
    assert "99" in str(e) and "s.csv" in str(e) and "c" in e.hint   # other bad column named


def test_score_scale_rejects_text_unknown_reverse_and_bad_share():
    with pytest.raises(InputError) as err:
        score_scale(pd.DataFrame({"a": ["1", "two", None, "4"]}), min_value=1, max_value=5)
    assert err.value.rows == [2] and err.value.values == ["two"]
    ok = score_scale(pd.DataFrame({"a": ["1", " 3", None, "", "NA", " n/a"]}),
                     min_value=1, max_value=5)
    assert ok.iloc[:2].tolist() == [1.0, 3.0] and ok.iloc[2:].isna().all()
    with pytest.raises(InputError, match="not among"):
        score_scale(pd.DataFrame({"a": [1]}), reverse=["z"], min_value=1, max_value=5)
    with pytest.raises(InputError, match="min_answered"):
        score_scale(pd.DataFrame({"a": [1]}), min_value=1, max_value=5, min_answered=0)


# ------------------------------------------------------------------ alpha
SMALL = pd.DataFrame({"i1": [3, 4, 2, 5, 4, 1, 3, None],
                      "i2": [2, 4, 3, 5, 5, 2, 3, 4],
                      "i3": [3, 5, 2, 4, 4, 1, 2, 2]})


def test_alpha_hand_computation():
    rows = SMALL.dropna().to_numpy().tolist()         # complete cases only
    k = 3
    item_vars = sum(statistics.variance([r[j] for r in rows]) for j in range(k))
    total_var = statistics.variance([sum(r) for r in rows])
    expected = k / (k - 1) * (1 - item_vars / total_var)
    assert cronbach_alpha(SMALL) == pytest.approx(expected, rel=1e-12)   # float rounding only
    # standardised alpha by hand from pairwise Pearson r
    cols = list(zip(*rows))
    rs = [statistics.correlation(cols[a], cols[b]) for a, b in [(0, 1), (0, 2), (1, 2)]]
    rbar = sum(rs) / 3
    assert standardized_alpha(SMALL) == pytest.approx(3 * rbar / (1 + 2 * rbar), rel=1e-12)


# mtcars columns cyl, gear, carb, hp (R datasets::mtcars, 32 cars; column sums 198, 118,
# 90, 4694 checked against the published means 6.1875, 3.6875, 2.8125, 146.6875)
MTCARS = pd.DataFrame({
    "cyl": [6, 6, 4, 6, 8, 6, 8, 4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8, 4, 4, 4,
            8, 6, 8, 4],
    "gear": [4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3, 3, 4, 5, 5,
             5, 5, 5, 4],
    "carb": [4, 4, 1, 1, 2, 1, 4, 2, 2, 4, 4, 3, 3, 3, 4, 4, 4, 1, 2, 1, 1, 2, 2, 4, 2, 1, 2, 2,
             4, 6, 8, 2],
    "hp": [110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215, 230, 66,
           52, 65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109],
})


def test_alpha_published_mtcars_example():
    assert MTCARS.sum().tolist() == [198, 118, 90, 4694]
    # Published: R performance::cronbachs_alpha(mtcars[, c("cyl","gear","carb","hp")])
    # prints "#> [1] 0.09463206" (easystats performance reference page, cronbachs_alpha).
    # Tolerance: half a unit in the 8th printed decimal.
    assert cronbach_alpha(MTCARS) == pytest.approx(0.09463206, abs=5e-9)


# Published: Julia StatsBase cronbachalpha docstring example (jldoctest):
# cov_X = [10 6 6 6; 6 11 6 6; 6 6 12 6; 6 6 6 13] -> "Cronbach's alpha for all items:
# 0.8136"; alpha if an item is dropped: 0.7500, 0.7606, 0.7714, 0.7826.
STATSBASE_COV = np.array([[10, 6, 6, 6], [6, 11, 6, 6], [6, 6, 12, 6], [6, 6, 6, 13]], float)


def test_alpha_and_alpha_if_deleted_published_statsbase_example():
    assert alpha_from_cov(STATSBASE_COV) == pytest.approx(0.8136, abs=5e-5)  # 4 decimals
    data = pd.DataFrame(_exact_sample_cov(STATSBASE_COV, n=50, seed=3),
                        columns=["x1", "x2", "x3", "x4"])
    assert cronbach_alpha(data) == pytest.approx(0.8136, abs=5e-5)
    table = item_total(data)
    np.testing.assert_allclose(table["alpha_if_deleted"], [0.7500, 0.7606, 0.7714, 0.7826],
                               atol=5e-5)
    np.testing.assert_allclose(table["sd"] ** 2, np.diag(STATSBASE_COV), rtol=1e-10)


def test_item_total_corrected_r_by_hand():
    table = item_total(SMALL)
    comp = SMALL.dropna()
    for j, col in enumerate(SMALL.columns):
        rest = comp.drop(columns=col).sum(axis=1)
        assert table.loc[j, "r_corrected"] == pytest.approx(
            statistics.correlation(comp[col].tolist(), rest.tolist()), rel=1e-12)
    assert table["n"].tolist() == [7, 8, 8]                    # available answers per item
    assert table.loc[0, "mean"] == pytest.approx(22 / 7)


@pytest.mark.parametrize("k,rho", [(4, 0.3), (6, 0.5), (10, 0.15)])
def test_standardized_alpha_closed_form_parallel_items(k, rho):
    # k parallel items with correlation rho: standardised alpha = k rho / (1 + (k-1) rho)
    corr = np.full((k, k), rho) + np.eye(k) * (1 - rho)
    sd = np.linspace(1, 2, k)                   # raw scale differs, correlations do not
    data = pd.DataFrame(_exact_sample_cov(corr * np.outer(sd, sd), n=80, seed=k))
    closed = k * rho / (1 + (k - 1) * rho)
    assert standardized_alpha(data) == pytest.approx(closed, rel=1e-9)
    # parallel items: correlation-metric omega is the Spearman-Brown value as well
    assert mcdonald_omega(data, metric="correlation") == pytest.approx(closed, rel=1e-6)


# ------------------------------------------------------------------ omega
LAMBDA = np.array([0.9, 0.8, 0.6, 0.5, 0.4])       # congeneric loadings (raw units)
PSI = np.array([0.4, 0.6, 0.8, 0.9, 1.0])          # error variances


def _omega_true(lam, psi) -> float:
    return lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())


def test_omega_equals_alpha_for_tau_equivalent_population():
    # tau-equivalent: equal loadings, unequal error variances -> omega == alpha exactly
    lam = np.full(5, 0.7)
    cov = np.outer(lam, lam) + np.diag(PSI)
    assert omega_from_cov(cov) == pytest.approx(alpha_from_cov(cov), rel=1e-7)  # optimiser tol
    assert omega_from_cov(cov) == pytest.approx(_omega_true(lam, PSI), rel=1e-7)


def test_omega_population_congeneric_closed_form():
    cov = np.outer(LAMBDA, LAMBDA) + np.diag(PSI)
    true = _omega_true(LAMBDA, PSI)
    assert omega_from_cov(cov) == pytest.approx(true, rel=1e-7)
    assert alpha_from_cov(cov) < true - 0.005        # alpha underestimates when congeneric
    sd = np.sqrt(np.diag(cov))
    std_true = _omega_true(LAMBDA / sd, PSI / sd ** 2)
    assert omega_from_cov(cov, metric="correlation") == pytest.approx(std_true, rel=1e-7)
    fit = fit_one_factor(cov)
    np.testing.assert_allclose(fit.loadings, LAMBDA, rtol=1e-5)
    np.testing.assert_allclose(fit.uniquenesses, PSI, rtol=1e-5)


def test_one_factor_ml_matches_statsmodels():
    from statsmodels.multivariate.factor import Factor
    rng = np.random.default_rng(7)
    f = rng.normal(size=400)
    x = f[:, None] * LAMBDA + rng.normal(size=(400, 5)) * np.sqrt(PSI)
    corr = np.corrcoef(x, rowvar=False)
    ref = Factor(corr=corr, n_factor=1, method="ml", nobs=400).fit()
    ref_load = ref.loadings.ravel() * np.sign(ref.loadings.sum())
    fit = fit_one_factor(np.cov(x, rowvar=False))
    # two independent optimisers of the same ML criterion: agree to ~1e-6
    np.testing.assert_allclose(fit.std_loadings, ref_load, atol=2e-5)
    np.testing.assert_allclose(fit.std_uniquenesses, ref.uniqueness, atol=2e-5)


def test_omega_monte_carlo_congeneric():
    # R = 40 samples of N = 2000 from the congeneric model; the mean estimate must lie
    # within 4 Monte Carlo standard errors (sd / sqrt(R), estimated from the replicates)
    # of the true omega; ML bias at N = 2000 is O(1/N), far below that (~0.002).
    rng = np.random.default_rng(2014)
    true = _omega_true(LAMBDA, PSI)
    est = []
    for _ in range(40):
        f = rng.normal(size=2000)
        x = f[:, None] * LAMBDA + rng.normal(size=(2000, 5)) * np.sqrt(PSI)
        est.append(mcdonald_omega(pd.DataFrame(x)))
    est = np.array(est)
    mc_se = est.std(ddof=1) / math.sqrt(len(est))
    assert abs(est.mean() - true) < 4 * mc_se, (est.mean(), true, mc_se)
    assert 0.002 < est.std(ddof=1) < 0.03           # sampling spread is plausible


# ------------------------------------------------------------------ reliability
def test_reliability_negative_item_warning_and_dict():
    rng = np.random.default_rng(5)
    f = rng.normal(size=200)
    df = pd.DataFrame({f"so{j}": np.clip(np.round(4 + 1.2 * f + rng.normal(size=200)), 1, 7)
                       for j in range(1, 5)})
    df["so5"] = 8 - df["so1"]                       # forgotten reverse key
    rel = reliability(df, name="SO")
    msg = [w for w in rel.warnings if "so5 correlates negatively" in w]
    assert msg and "forgotten reverse key" in msg[0] and "(r = -0." in msg[0]
    assert rel.n == 200 and rel.k == 5
    assert rel.alpha == pytest.approx(cronbach_alpha(df), rel=1e-12)
    fixed = reliability(df.assign(so5=reverse_key(df["so5"], 1, 7)), name="SO")
    assert fixed.alpha > rel.alpha and not any("negatively" in w for w in fixed.warnings)
    d = rel.to_dict()
    json.dumps(d)
    assert d["items"][4]["item"] == "so5"
    assert rel.to_frame()["term"].tolist() == ["alpha", "standardized_alpha", "omega"]


def test_reliability_degenerate_scales_give_nan_and_warning():
    one = reliability(pd.DataFrame({"a": [1, 2, 3]}), name="single")
    assert math.isnan(one.alpha) and math.isnan(one.omega)
    assert any("1 item" in w for w in one.warnings)
    two = reliability(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]}))
    assert not math.isnan(two.alpha) and math.isnan(two.omega)
    assert any("omega needs at least 3" in w for w in two.warnings)
    const = reliability(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [3] * 4}))
    assert math.isnan(const.standardized_alpha) and math.isnan(const.omega)
    assert not math.isnan(const.alpha)
    assert any("item c is constant" in w for w in const.warnings)
    json.dumps(const.to_dict())
    empty = reliability(pd.DataFrame({"a": [1, None], "b": [None, 2], "c": [1, 2]}))
    assert math.isnan(empty.alpha) and any("complete respondent" in w for w in empty.warnings)


def test_reliability_flags_many_incomplete_respondents():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5, None, None], "b": [2, 1, 4, 3, 5, 1, 2],
                       "c": [1, 3, 2, 5, 4, 2, None]})
    rel = reliability(df)
    assert rel.n == 5 and rel.n_total == 7
    assert any("only 5 of 7" in w for w in rel.warnings)


def test_reliability_rejects_text():
    with pytest.raises(InputError):
        reliability(pd.DataFrame({"a": [1, "x"], "b": [1, 2]}))
